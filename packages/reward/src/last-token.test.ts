import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { lastTokenIndices, selectPerRow } from './last-token.js';

describe('lastTokenIndices / selectPerRow', () => {
  it('finds the last real token of right-padded rows', () => {
    expect(lastTokenIndices({ promptLengths: [2, 3], completionLengths: [3, 1], sequenceLength: 5 })).toEqual([4, 3]);
    expect(() => lastTokenIndices({ promptLengths: [1], completionLengths: [0], sequenceLength: 4 })).not.toThrow();
    expect(() => lastTokenIndices({ promptLengths: [4], completionLengths: [2], sequenceLength: 5 })).toThrow(
      /batch row 0/,
    );
  });

  it('picks one value per row, and its gradient lands only there', async () => {
    await expectNoLeak(() => {
      const values = tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const picked = selectPerRow(values, [2, 0]);
      expectClose(picked, [3, 4]);
      const gradient = tf.grad((v: tf.Tensor) => tf.sum(selectPerRow(v as tf.Tensor2D, [2, 0])))(values);
      expectClose(gradient, [
        [0, 0, 1],
        [1, 0, 0],
      ]);
      tf.dispose([values, picked, gradient]);
    });
    tf.tidy(() => {
      expect(() => selectPerRow(tf.zeros([2, 3]) as tf.Tensor2D, [3, 0])).toThrow(/indices\[0\]/);
    });
  });
});
