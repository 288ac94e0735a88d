import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { clippedPolicyLoss } from './clipped-policy-loss.js';

// Ratios [1.5, 0.9, 1.1, 0.5], advantages [1, 1, -1, -1], epsilon 0.2:
//   1.5, A = 1:  max(-1.5, -1.2) = -1.2  (clipped term larger: counts as clipped)
//   0.9, A = 1:  max(-0.9, -0.9) = -0.9  (inside the range)
//   1.1, A = -1: max(1.1, 1.1) = 1.1     (inside the range)
//   0.5, A = -1: max(0.5, 0.8) = 0.8     (clipped)
// loss = (-1.2 - 0.9 + 1.1 + 0.8) / 4 = -0.05; clipfrac 2/4; ratio mean 1
// approxkl = 0.5 * mean(ln(r)^2) = 0.5 * (0.16440 + 0.01110 + 0.00908 + 0.48045) / 4 = 0.0831299796
const ratios = [1.5, 0.9, 1.1, 0.5];

describe('clippedPolicyLoss', () => {
  it('matches hand-computed values, with and without a mask', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const logProbs = tf.log(tf.tensor2d([ratios]));
        const oldLogProbs = tf.zeros([1, 4]);
        const advantages = tf.tensor2d([[1, 1, -1, -1]]);
        const all = clippedPolicyLoss({ logProbs, oldLogProbs, advantages, cliprange: 0.2 });
        expectClose(all.loss, -0.05, { atol: 1e-6 });
        expectClose(all.clipFraction, 0.5);
        expectClose(all.ratioMean, 1, { atol: 1e-6 });
        expectClose(all.approxKl, 0.0831299796, { atol: 1e-6 });
        // Masking the last entry: (-1.2 - 0.9 + 1.1) / 3, clipfrac 1/3, ratio mean 3.5 / 3,
        // approxkl 0.5 * (0.16440 + 0.01110 + 0.00908) / 3 = 0.0307644704
        const masked = clippedPolicyLoss({
          logProbs,
          oldLogProbs,
          advantages,
          cliprange: 0.2,
          mask: tf.tensor2d([[1, 1, 1, 0]]),
        });
        expectClose(masked.loss, -1 / 3, { atol: 1e-6 });
        expectClose(masked.clipFraction, 1 / 3, { atol: 1e-6 });
        expectClose(masked.ratioMean, 3.5 / 3, { atol: 1e-6 });
        expectClose(masked.approxKl, 0.0307644704, { atol: 1e-6 });
        // Garbage under the mask changes nothing.
        const garbage = clippedPolicyLoss({
          logProbs: tf.tensor2d([[Math.log(1.5), Math.log(0.9), Math.log(1.1), NaN]]),
          oldLogProbs,
          advantages,
          cliprange: 0.2,
          mask: tf.tensor2d([[1, 1, 1, 0]]),
        });
        expectClose(garbage.loss, -1 / 3, { atol: 1e-6 });
      }),
    );
  });

  it('has the gradient of finite differences: zero where the clipped term is active', async () => {
    const advantages = tf.tensor1d([1, 1, -1, -1]);
    const oldLogProbs = tf.zeros([4]);
    const logProbs = tf.log(tf.tensor1d(ratios));
    await expectNoLeak(() => {
      const loss = (x: tf.Tensor): tf.Scalar =>
        clippedPolicyLoss({ logProbs: x, oldLogProbs, advantages, cliprange: 0.2 }).loss;
      const { analytic } = checkGradient(loss, [logProbs], { epsilon: 1e-3, atol: 1e-4, rtol: 1e-3 });
      // d/dlogp of -A * r / 4 where unclipped: [0, -0.9/4, 1.1/4, 0]
      expectClose(analytic, [0, -0.225, 0.275, 0], { atol: 1e-5 });
    });
    tf.dispose([advantages, oldLogProbs, logProbs]);
  });

  it('names mismatched shapes and a negative cliprange', () => {
    tf.tidy(() => {
      expect(() =>
        clippedPolicyLoss({
          logProbs: tf.zeros([2]),
          oldLogProbs: tf.zeros([3]),
          advantages: tf.zeros([2]),
          cliprange: 0.2,
        }),
      ).toThrow(/oldLogProbs/);
      expect(() =>
        clippedPolicyLoss({
          logProbs: tf.zeros([2]),
          oldLogProbs: tf.zeros([2]),
          advantages: tf.zeros([2]),
          cliprange: -1,
        }),
      ).toThrow(/cliprange/);
    });
  });
});
