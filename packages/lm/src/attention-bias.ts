import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';

/**
 * What masked attention scores get added: large and negative but finite, so a row whose keys
 * are all masked (a left-padding query) gives a uniform softmax instead of NaN.
 */
export const ATTENTION_MASK_VALUE = -1e9;

/**
 * The additive attention bias shared by every layer of one forward pass: 0 where a query may
 * attend to a key, {@link ATTENTION_MASK_VALUE} where it may not.
 *
 * Causal rule: query i (absolute position `pastLength + i`) sees key j iff
 * `j <= pastLength + i`. With `keyMask` (1 = real token, 0 = padding, `[B, Tk]` with
 * `Tk = pastLength + queryLength`) padding keys are masked too.
 *
 * @see Vaswani et al. 2017, Sec. 3.2.3 (masking illegal connections with -inf before softmax).
 * @returns `[T, Tk]` without `keyMask`, `[B, 1, T, Tk]` with it; a new tensor the caller disposes.
 */
export function attentionBias(queryLength: number, pastLength: number, keyMask?: tf.Tensor2D): tf.Tensor {
  const keyLength = pastLength + queryLength;
  const values = new Float32Array(queryLength * keyLength);
  for (let i = 0; i < queryLength; i++) {
    for (let j = pastLength + i + 1; j < keyLength; j++) values[i * keyLength + j] = ATTENTION_MASK_VALUE;
  }
  if (keyMask === undefined) return tf.tensor2d(values, [queryLength, keyLength]);
  const [batch, maskLength] = keyMask.shape;
  if (maskLength !== keyLength) {
    throw new ShapeMismatchError(
      'attentionMask',
      [batch, keyLength],
      keyMask.shape,
      'one column per past and current position',
    );
  }
  return tf.tidy(() => {
    // [B, Tk] -> [B, 1, 1, Tk]: 0 for real keys, MASK for padding; + [T, Tk] -> [B, 1, T, Tk]
    const padding = tf.reshape(tf.mul(tf.sub(1, tf.cast(keyMask, 'float32')), ATTENTION_MASK_VALUE), [
      batch,
      1,
      1,
      keyLength,
    ]);
    return tf.add(padding, tf.tensor2d(values, [queryLength, keyLength]));
  });
}
