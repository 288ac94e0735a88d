import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, it } from 'vitest';
import { gelu } from './gelu.js';

describe('gelu', () => {
  const xs = [-6, -3, -1.5, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2.5, 6, 30];

  it("equals GPT-2's tanh formula, computed in float64", async () => {
    const expected = xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    await expectNoLeak(() => tf.tidy(() => expectClose(gelu(tf.tensor1d(xs)), expected, { atol: 1e-6, rtol: 1e-5 })));
  });

  it('has the analytic gradient', async () => {
    await expectNoLeak(() => {
      const x = tf.tensor1d([-2, -0.7, 0.1, 0.9, 2]);
      checkGradient((input) => tf.sum(gelu(input)), [x]);
      x.dispose();
    });
  });
});
