import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, it } from 'vitest';
import { embeddingLookup } from './embedding-lookup.js';

describe('embeddingLookup', () => {
  it('one-hot and gather give the same rows and the same table gradient', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const table = tf.tensor2d([
          [1, 2],
          [3, 4],
          [5, 6],
        ]);
        const ids = tf.tensor1d([2, 0, 2, 1], 'int32');
        const weights = tf.tensor2d([
          [1, -1],
          [2, 0],
          [0.5, 3],
          [1, 1],
        ]);
        const rows = [
          [5, 6],
          [1, 2],
          [5, 6],
          [3, 4],
        ];
        expectClose(embeddingLookup(table, ids, 'one-hot'), rows);
        expectClose(embeddingLookup(table, ids, 'gather'), rows);
        // d/dtable sum(w * lookup): row v collects the weights of every position holding v.
        const gradient = (mode: 'one-hot' | 'gather'): tf.Tensor =>
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids, mode), weights)))(table);
        const expected = [
          [2, 0],
          [1, 1],
          [1.5, 2],
        ];
        expectClose(gradient('one-hot'), expected);
        expectClose(gradient('gather'), expected);
        expectClose(embeddingLookup(tf.tensor2d([[7, 8]]), tf.tensor1d([0, 0], 'int32'), 'one-hot'), [
          [7, 8],
          [7, 8],
        ]);
      }),
    );
  });
});
