import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ShapeMismatchError } from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { clipContrastiveLoss } from './contrastive-loss.js';

/** log(e^a + e^b). */
const lse = (...xs: number[]): number => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));

describe('clipContrastiveLoss', () => {
  it('matches a hand-computed 2x2 case: logits = [[1, 0.6], [0, 0.8]] at scale 1', async () => {
    // I = [[1, 0], [0, 1]], T = [[1, 0], [0.6, 0.8]] (unit rows): I T^T = [[1, 0.6], [0, 0.8]].
    const rows = (lse(1, 0.6) - 1 + (lse(0, 0.8) - 0.8)) / 2; // image -> caption
    const columns = (lse(1, 0) - 1 + (lse(0.6, 0.8) - 0.8)) / 2; // caption -> image
    const expected = (rows + columns) / 2;
    expect(expected).toBeCloseTo(0.44888, 4); // (0.44206 + 0.45570) / 2
    await expectNoLeak(() => {
      const loss = tf.tidy(() =>
        clipContrastiveLoss(
          tf.tensor2d([
            [1, 0],
            [0, 1],
          ]),
          tf.tensor2d([
            [1, 0],
            [0.6, 0.8],
          ]),
          tf.scalar(0),
        ),
      );
      expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
      loss.dispose();
    });
  });

  it('normalises the embeddings and multiplies the logits by exp(logScale): a 3x3 case by hand', () => {
    // Unnormalised inputs (rows scaled by 2, 3, 0.5) give the same cosines; scale e^{log 2} = 2.
    const images = [
      [2, 0, 0],
      [0, 3, 0],
      [0, 0, 0.5],
    ];
    const texts = [
      [1, 0, 0],
      [0, 1, 0],
      [0.6, 0, 0.8],
    ];
    const cos = [
      [1, 0, 0.6],
      [0, 1, 0],
      [0, 0, 0.8],
    ];
    const logits = cos.map((row) => row.map((x) => 2 * x));
    let rows = 0;
    let columns = 0;
    for (let i = 0; i < 3; i++) {
      rows += lse(...logits[i]!) - logits[i]![i]!;
      columns += lse(...logits.map((row) => row[i]!)) - logits[i]![i]!;
    }
    const expected = (rows / 3 + columns / 3) / 2;
    const loss = tf.tidy(() =>
      clipContrastiveLoss(tf.tensor2d(images), tf.tensor2d(texts), tf.scalar(Math.log(2))).dataSync(),
    );
    expect(loss[0]).toBeCloseTo(expected, 5);
  });

  it('falls as the temperature sharpens on a perfectly matched batch, and is differentiable in logScale', () => {
    const eye = tf.eye(3) as tf.Tensor2D;
    const logScale = tf.variable(tf.scalar(0));
    const { value, grads } = tf.variableGrads(() => clipContrastiveLoss(eye, eye, logScale), [logScale]);
    // d/ds of log(e^{e^s} + 2) - e^s at s = 0: e / (e + 2) - 1 = -2 / (e + 2).
    expect(grads[logScale.name]!.dataSync()[0]).toBeCloseTo(-2 / (Math.E + 2), 5);
    expect(value.dataSync()[0]).toBeCloseTo(lse(1, 0, 0) - 1, 5);
    tf.dispose([eye, logScale, value, ...Object.values(grads)]);
  });

  it('refuses embeddings of different shapes', () => {
    expect(() => clipContrastiveLoss(tf.zeros([2, 3]), tf.zeros([3, 3]), tf.scalar(0))).toThrow(ShapeMismatchError);
  });
});
