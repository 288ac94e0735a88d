import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, it } from 'vitest';
import { layerNorm } from './layer-norm.js';

describe('layerNorm', () => {
  it('normalises the last axis with the biased variance, then scales and shifts', async () => {
    const rows = [
      [1, 2, 3, 6],
      [-1, -1, -1, -1],
    ];
    const gamma = [1, 2, 0.5, -1];
    const beta = [0, 0.1, 0.2, 0.3];
    const epsilon = 1e-5;
    const expected = rows.map((row) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + epsilon)) * gamma[i]! + beta[i]!);
    });
    await expectNoLeak(() =>
      tf.tidy(() =>
        expectClose(layerNorm(tf.tensor2d(rows), tf.tensor1d(gamma), tf.tensor1d(beta), epsilon), expected, {
          atol: 1e-5,
        }),
      ),
    );
  });

  it('has the analytic gradient with respect to input, gain and shift', async () => {
    await expectNoLeak(() => {
      const inputs = [
        tf.tensor2d([
          [0.3, -1.2, 2.0],
          [1.1, 0.4, -0.2],
        ]),
        tf.tensor1d([1.5, -0.5, 0.8]),
        tf.tensor1d([0.1, 0.2, 0.3]),
      ];
      const weights = tf.tensor2d([
        [0.7, -1.3, 0.2],
        [0.5, 0.9, -0.4],
      ]);
      checkGradient(
        (x, g, b) => tf.sum(tf.mul(layerNorm(x!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), weights)),
        inputs,
      );
      tf.dispose([...inputs, weights]);
    });
  });
});
