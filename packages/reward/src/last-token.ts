import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError } from '@dpo-ts/core';
import type { LMBatch } from '@dpo-ts/lm';

/**
 * Index of each row's last real token in a right-padded `LMBatch`:
 * `promptLength + completionLength - 1` (the EOS when the completion kept it). This is where a
 * sequence reward model reads its score, as TRL's `get_reward` does (`first_true_indices(ids ==
 * pad) - 1`), but from the lengths the batch already holds, so a PAD id inside the text cannot
 * confuse it.
 */
export function lastTokenIndices(
  batch: Pick<LMBatch, 'promptLengths' | 'completionLengths' | 'sequenceLength'>,
): number[] {
  return batch.promptLengths.map((promptLength, row) => {
    const index = promptLength + batch.completionLengths[row]! - 1;
    if (index < 0 || index >= batch.sequenceLength) {
      throw new InvalidArgumentError(`batch row ${row}`, `a last token inside [0, ${batch.sequenceLength})`, index);
    }
    return index;
  });
}

/**
 * Picks one value per row: `out[b] = values[b, indices[b]]`, `[B, T] -> [B]`.
 *
 * A mask-and-sum, not `tf.gather`: its gradient is elementwise on every backend (gather's needs
 * UnsortedSegmentSum, which wasm lacks), and the `[B, T]` mask is built in JavaScript, so no
 * `tf.oneHot` (wrong in float32 on wasm) is involved.
 *
 * @param values - `[B, T]`.
 * @param indices - one position per row, each in `[0, T)`.
 * @returns `[B]`; a new tensor the caller disposes.
 */
export function selectPerRow(values: tf.Tensor2D, indices: readonly number[]): tf.Tensor1D {
  const [B, T] = values.shape;
  if (indices.length !== B) throw new ShapeMismatchError('indices', [B], [indices.length]);
  const mask = new Float32Array(B * T);
  indices.forEach((index, row) => {
    if (!Number.isInteger(index) || index < 0 || index >= T)
      throw new InvalidArgumentError(`indices[${row}]`, `an integer in [0, ${T})`, index);
    mask[row * T + index] = 1;
  });
  return tf.tidy(() => tf.sum(tf.mul(values, tf.tensor2d(mask, [B, T])), 1) as tf.Tensor1D);
}
