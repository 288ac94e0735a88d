import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { klPenalty } from './kl-estimators.js';

describe('klPenalty (Schulman k1, k3)', () => {
  it('matches hand-computed values', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const logProbs = tf.tensor1d([-1, -2, -0.5]);
        const referenceLogProbs = tf.tensor1d([-1.5, -1, -0.5]);
        // k1 = log p - log p_ref = [0.5, -1, 0]
        expectClose(klPenalty(logProbs, referenceLogProbs, 'k1'), [0.5, -1, 0]);
        // log r = log p_ref - log p = [-0.5, 1, 0]; k3 = e^{log r} - 1 - log r
        //   = [e^-0.5 - 0.5, e - 2, 0] = [0.1065306597, 0.7182818285, 0]
        expectClose(klPenalty(logProbs, referenceLogProbs, 'k3'), [0.1065306597, 0.7182818285, 0], { atol: 1e-6 });
      }),
    );
  });

  it('are unbiased: their expectation under p is KL(p || q) exactly', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        // p = [0.5, 0.3, 0.2], q = [0.2, 0.3, 0.5]: KL = 0.5 ln 2.5 + 0 + 0.2 ln 0.4 = 0.2748872196
        const p = [0.5, 0.3, 0.2];
        const logP = tf.log(tf.tensor1d(p));
        const logQ = tf.log(tf.tensor1d([0.2, 0.3, 0.5]));
        const weights = tf.tensor1d(p);
        for (const estimator of ['k1', 'k3'] as const) {
          expectClose(tf.sum(tf.mul(weights, klPenalty(logP, logQ, estimator))), 0.2748872196, { atol: 1e-6 });
        }
        // k3 is never negative; k1 is, where q > p.
        expect(Math.min(...klPenalty(logP, logQ, 'k3').dataSync())).toBeGreaterThanOrEqual(0);
        expect(Math.min(...klPenalty(logP, logQ, 'k1').dataSync())).toBeLessThan(0);
      }),
    );
  });

  it('names bad arguments', () => {
    tf.tidy(() => {
      expect(() => klPenalty(tf.zeros([2]), tf.zeros([3]), 'k1')).toThrow(/referenceLogProbs/);
      expect(() => klPenalty(tf.zeros([2]), tf.zeros([2]), 'k2' as never)).toThrow(/estimator/);
    });
  });
});
