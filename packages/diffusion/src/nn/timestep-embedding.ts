import * as tf from '@tensorflow/tfjs-core';
import { requireInteger } from '@dpo-ts/core';

/**
 * Sinusoidal embedding of diffusion timesteps, as in Ho et al.'s code (after the Transformer's
 * positional encoding): with half = dim / 2 and f_i = exp(-ln(10000) * i / (half - 1)),
 * emb(t) = [sin(t f_0), ..., sin(t f_{half-1}), cos(t f_0), ..., cos(t f_{half-1})].
 * (guided-diffusion divides by half instead and puts cos first; the choice only has to be
 * fixed per model.)
 *
 * @see Ho et al. 2020, Appendix B; Vaswani et al. 2017, Section 3.5.
 * @param timesteps - `[batch]`, float (integer-valued) timesteps.
 * @param dim - even embedding size, >= 4.
 * @returns `[batch, dim]`, a new tensor; no gradient is needed through it.
 */
export function timestepEmbedding(timesteps: tf.Tensor1D, dim: number): tf.Tensor2D {
  requireInteger('dim', dim, { min: 4 });
  if (dim % 2 !== 0) requireInteger('dim / 2', dim / 2);
  const half = dim / 2;
  const frequencies = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / (half - 1)));
  return tf.tidy(() => {
    const angles = tf.mul(tf.reshape(tf.cast(timesteps, 'float32'), [-1, 1]), tf.tensor2d(frequencies, [1, half])); // [b, half]
    return tf.concat([tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D;
  });
}
