import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { ddpoLoss } from './ddpo-loss.js';

describe('ddpoLoss', () => {
  // ratio = [1.05, 1.2, 0.8, 0.95]; advantages [1, 3 -> clipped to 2, -1, -0.5]; eps = 0.1.
  const ratios = [1.05, 1.2, 0.8, 0.95];
  const inputs = () => ({
    logProbs: tf.tensor1d(ratios.map(Math.log)),
    oldLogProbs: tf.zeros([4]) as tf.Tensor1D,
    advantages: tf.tensor1d([1, 3, -1, -0.5]),
    clipRange: 0.1,
    advClipMax: 2,
  });

  it('matches hand values: clipped advantages, clipped surrogate, approx KL, DDPO clip fraction', async () => {
    await expectNoLeak(() => {
      const x = inputs();
      const out = ddpoLoss(x);
      // -A rho = [-1.05, -2.4, 0.8, 0.475]; -A clip(rho) = [-1.05, -2.2, 0.9, 0.475]; max, mean:
      expectClose(out.loss, (-1.05 - 2.2 + 0.9 + 0.475) / 4, { atol: 1e-6 });
      expectClose(out.approxKl, (0.5 * ratios.reduce((s, r) => s + Math.log(r) ** 2, 0)) / 4, { atol: 1e-7 });
      expectClose(out.clipFraction, 0.5); // |rho - 1| = 0.05, 0.2, 0.2, 0.05 against 0.1
      expectClose(out.ratioMean, 1, { atol: 1e-6 });
      tf.dispose([...Object.values(out), ...Object.values(x).filter((v) => v instanceof tf.Tensor)]);
    });
  });

  it('passes gradient only where the unclipped term is active', () => {
    const x = inputs();
    const grad = tf.grad((logProbs: tf.Tensor) => ddpoLoss({ ...x, logProbs: logProbs as tf.Tensor1D }).loss)(
      x.logProbs,
    );
    // d/dlogp of -A rho / n = -A rho / 4 where active; 0 where the clipped term wins.
    expectClose(grad, [(-1 * 1.05) / 4, 0, 0, (0.5 * 0.95) / 4], { atol: 1e-6 });
    tf.dispose([grad, x.logProbs, x.oldLogProbs, x.advantages]);
  });

  it('is -mean(A) with gradient -A/n at ratio 1 (the first minibatch of an update)', () => {
    const advantages = tf.tensor1d([0.5, -2, 7]);
    const logProbs = tf.tensor1d([-1.3, 0.2, 4]);
    const out = ddpoLoss({ logProbs, oldLogProbs: logProbs, advantages, clipRange: 1e-4, advClipMax: 5 });
    expectClose(out.loss, -(0.5 - 2 + 5) / 3, { atol: 1e-6 });
    expectClose(out.clipFraction, 0);
    expectClose(out.approxKl, 0);
    tf.dispose([...Object.values(out), advantages, logProbs]);
  });

  it('rejects mismatched shapes and bad ranges naming the argument', () => {
    const x = inputs();
    const short = tf.zeros([3]) as tf.Tensor1D;
    expect(() => ddpoLoss({ ...x, advantages: short })).toThrow('advantages');
    expect(() => ddpoLoss({ ...x, advClipMax: 0 })).toThrow('advClipMax');
    expect(() => ddpoLoss({ ...x, clipRange: -1 })).toThrow('clipRange');
    tf.dispose([short, x.logProbs, x.oldLogProbs, x.advantages]);
  });
});
