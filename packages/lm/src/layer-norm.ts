import * as tf from '@tensorflow/tfjs-core';

/**
 * Layer normalisation over the last axis: `(x - mean) / sqrt(var + epsilon) * gamma + beta`,
 * with the biased variance (divide by d), as PyTorch's `LayerNorm` and GPT-2.
 *
 * @see Ba, Kiros & Hinton 2016, "Layer Normalization", Eq. 4.
 * @param x - `[..., d]`.
 * @param gamma - gain `[d]`; `beta` - shift `[d]`.
 * @returns a new tensor shaped like `x`; the caller disposes it (or runs this inside a tidy).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  });
}
