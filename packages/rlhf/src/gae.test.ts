import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { generalizedAdvantageEstimation } from './gae.js';

describe('generalizedAdvantageEstimation', () => {
  it('matches the backward recursion by hand', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        // gamma 1, lambda 0.95; row 0: r = [0, 0, 1], V = [0.5, 0.4, 0.2]
        //   t=2: delta = 1 + 0 - 0.2 = 0.8;                 A = 0.8
        //   t=1: delta = 0 + 0.2 - 0.4 = -0.2;              A = -0.2 + 0.95 * 0.8 = 0.56
        //   t=0: delta = 0 + 0.4 - 0.5 = -0.1;              A = -0.1 + 0.95 * 0.56 = 0.432
        //   returns = A + V = [0.932, 0.96, 1.0]
        // row 1: r = [0, 2, 0], V = [1, 1, 0] (its last step is masked: r = V = 0)
        //   t=2: delta = 0;                                 A = 0
        //   t=1: delta = 2 + 0 - 1 = 1;                     A = 1
        //   t=0: delta = 0 + 1 - 1 = 0;                     A = 0.95
        const { advantages, returns } = generalizedAdvantageEstimation({
          rewards: tf.tensor2d([
            [0, 0, 1],
            [0, 2, 0],
          ]),
          values: tf.tensor2d([
            [0.5, 0.4, 0.2],
            [1, 1, 0],
          ]),
          gamma: 1,
          lambda: 0.95,
        });
        expectClose(
          advantages,
          [
            [0.432, 0.56, 0.8],
            [0.95, 1, 0],
          ],
          { atol: 1e-6 },
        );
        expectClose(
          returns,
          [
            [0.932, 0.96, 1.0],
            [1.95, 2, 0],
          ],
          { atol: 1e-6 },
        );
      }),
    );
  });

  it('discounts with gamma < 1 and reduces to TD(0) and Monte Carlo at the ends of lambda', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        // gamma 0.9, lambda 0.5; r = [1, -1, 2], V = [0, 1, 0]
        //   t=2: delta = 2;                                 A = 2
        //   t=1: delta = -1 + 0.9 * 0 - 1 = -2;             A = -2 + 0.45 * 2 = -1.1
        //   t=0: delta = 1 + 0.9 * 1 - 0 = 1.9;             A = 1.9 + 0.45 * -1.1 = 1.405
        const rewards = tf.tensor2d([[1, -1, 2]]);
        const values = tf.tensor2d([[0, 1, 0]]);
        expectClose(
          generalizedAdvantageEstimation({ rewards, values, gamma: 0.9, lambda: 0.5 }).advantages,
          [[1.405, -1.1, 2]],
          { atol: 1e-6 },
        );
        // lambda 0: A = delta = [1.9, -2, 2]
        expectClose(
          generalizedAdvantageEstimation({ rewards, values, gamma: 0.9, lambda: 0 }).advantages,
          [[1.9, -2, 2]],
          { atol: 1e-6 },
        );
        // lambda 1: returns are discounted Monte-Carlo returns [1 - 0.9 + 0.81 * 2, -1 + 0.9 * 2, 2] = [1.72, 0.8, 2]
        expectClose(
          generalizedAdvantageEstimation({ rewards, values, gamma: 0.9, lambda: 1 }).returns,
          [[1.72, 0.8, 2]],
          { atol: 1e-6 },
        );
        expect(() => generalizedAdvantageEstimation({ rewards, values, gamma: 1.5, lambda: 1 })).toThrow(/gamma/);
        expect(() =>
          generalizedAdvantageEstimation({ rewards, values: tf.zeros([1, 2]) as tf.Tensor2D, gamma: 1, lambda: 1 }),
        ).toThrow(/values/);
      }),
    );
  });
});
