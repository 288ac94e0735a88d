import * as tf from '@tensorflow/tfjs-core';

/**
 * `oneHot(indices, depth)` as float32: 1 at each index, 0 elsewhere, `[N] -> [N, depth]`.
 *
 * Built as an int32 one-hot and a cast, never with `tf.oneHot(..., 'float32')`: in
 * tfjs-backend-wasm 4.22 the OneHot kernel writes the integer bit pattern 1 into float32
 * outputs, so every "1" reads as 1.4e-45 (the cpu backend is right). Tested in
 * `gpt-wasm.test.ts`.
 * @returns a new tensor; the caller disposes it.
 */
export function oneHotFloat32(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(indices, 'int32'), depth), 'float32') as tf.Tensor2D);
}
