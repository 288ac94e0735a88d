import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { clippedValueLoss } from './clipped-value-loss.js';

// V = [1, 0, 0.5, 1], V_old = 0.5 everywhere, R = [2, -1, 0, 0], delta 0.2 (clip to [0.3, 0.7]):
//   V 1   -> 0.7: (1 - 2)^2 = 1,      (0.7 - 2)^2 = 1.69   -> 1.69 (clipped larger)
//   V 0   -> 0.3: (0 + 1)^2 = 1,      (0.3 + 1)^2 = 1.69   -> 1.69 (clipped larger)
//   V 0.5 -> 0.5: 0.25,               0.25                 -> 0.25
//   V 1   -> 0.7: (1 - 0)^2 = 1,      0.7^2 = 0.49         -> 1    (unclipped larger)
// loss = 0.5 * (1.69 + 1.69 + 0.25 + 1) / 4 = 0.57875; clipfrac 2/4
// masked [1, 1, 1, 0]: 0.5 * 3.63 / 3 = 0.605; clipfrac 2/3
describe('clippedValueLoss', () => {
  it('matches hand-computed values, with and without a mask', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const inputs = {
          values: tf.tensor1d([1, 0, 0.5, 1]),
          oldValues: tf.fill([4], 0.5),
          returns: tf.tensor1d([2, -1, 0, 0]),
          cliprangeValue: 0.2,
        };
        const all = clippedValueLoss(inputs);
        expectClose(all.loss, 0.57875, { atol: 1e-6 });
        expectClose(all.clipFraction, 0.5);
        const masked = clippedValueLoss({ ...inputs, mask: tf.tensor1d([1, 1, 1, 0]) });
        expectClose(masked.loss, 0.605, { atol: 1e-6 });
        expectClose(masked.clipFraction, 2 / 3, { atol: 1e-6 });
      }),
    );
  });

  it('has the gradient of finite differences', async () => {
    const oldValues = tf.fill([4], 0.5);
    const returns = tf.tensor1d([2, -1, 0, 0]);
    const values = tf.tensor1d([1.05, -0.02, 0.45, 0.9]);
    await expectNoLeak(() => {
      const { analytic } = checkGradient(
        (v) => clippedValueLoss({ values: v, oldValues, returns, cliprangeValue: 0.2 }).loss,
        [values],
        { atol: 1e-4, rtol: 1e-3 },
      );
      // Clipped entries pass no gradient; the others get 0.5 * 2 (V - R) / 4: [0, 0, 0.1125, 0.225]
      expectClose(analytic, [0, 0, 0.1125, 0.225], { atol: 1e-5 });
    });
    tf.dispose([oldValues, returns, values]);
    tf.tidy(() => {
      expect(() =>
        clippedValueLoss({
          values: tf.zeros([2]),
          oldValues: tf.zeros([2]),
          returns: tf.zeros([1]),
          cliprangeValue: 0.2,
        }),
      ).toThrow(/returns/);
    });
  });
});
