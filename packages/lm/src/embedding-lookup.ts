import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingLookup } from './gpt-config.js';
import { oneHotFloat32 } from './one-hot-float.js';

/**
 * Rows of an embedding table: `table[ids[i]]` for every i, `[N] -> [N, d]`.
 *
 * `'one-hot'` computes `oneHot(ids, V) x table` (a `[N, V] x [V, d]` matmul whose gradient is
 * a plain matmul: trains on every backend); `'gather'` calls `tf.gather`, whose gradient needs
 * the UnsortedSegmentSum kernel (missing on wasm unless core's override is registered).
 * Ids outside `[0, V)` give a zero row with `'one-hot'`; they are not checked (reading the ids
 * back would stall the pipeline).
 *
 * @param table - `[V, d]`.
 * @param ids - int32 `[N]`.
 * @returns a new tensor `[N, d]`; the caller disposes it.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D, mode: EmbeddingLookup): tf.Tensor2D {
  return tf.tidy(() => {
    if (mode === 'gather') return tf.gather(table, ids) as tf.Tensor2D;
    const [vocabSize] = table.shape;
    // oneHot requires depth >= 2; a one-row table is a degenerate but valid input.
    if (vocabSize < 2) return tf.matMul(tf.ones([ids.shape[0], 1]), table);
    return tf.matMul(oneHotFloat32(ids, vocabSize), table);
  });
}
