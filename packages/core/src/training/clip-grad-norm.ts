import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { GradientMap } from './adamw-optimizer.js';

/** The added constant in PyTorch's clip coefficient, max_norm / (total_norm + 1e-6). */
export const CLIP_GRAD_NORM_EPSILON = 1e-6;

/** What {@link clipGradNorm} returns; the caller disposes `grads` and `norm`. */
export interface ClippedGradients {
  /** The scaled gradients, same names and shapes as the input; new tensors. */
  readonly grads: Map<string, tf.Tensor>;
  /**
   * The global L2 norm before clipping, shape []: the number TRL and transformers log as
   * `grad_norm`. NaN or Infinity when a gradient is not finite.
   */
  readonly norm: tf.Scalar;
}

/**
 * Global L2 norm of all gradients taken together, sqrt(sum over tensors of sum(g^2)), as
 * `torch.nn.utils.clip_grad_norm_` computes it with norm_type 2 (the norm of the per-tensor
 * norms, which is the same number).
 *
 * @returns a new scalar tensor the caller disposes; 0 for an empty map.
 */
export function globalGradNorm(grads: GradientMap): tf.Scalar {
  return tf.tidy(() => {
    const squares = [...grads.values()].map((g) => tf.sum(tf.square(tf.cast(g, 'float32'))));
    if (squares.length === 0) return tf.scalar(0);
    return tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares)) as tf.Scalar;
  });
}

/**
 * Scales all gradients together so that their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`:
 *
 *   norm  = sqrt(sum_i ||g_i||^2)
 *   scale = min(1, maxNorm / (norm + 1e-6))
 *   g_i  <- g_i * scale
 *
 * Like PyTorch it always multiplies (scale 1 when the norm is already small), so the result
 * is close to but not exactly maxNorm when clipping happens; and it does not check finiteness
 * (`error_if_nonfinite=False`): a NaN norm gives NaN gradients, which the training loop's
 * non-finite guard catches through `grad_norm`.
 *
 * @param grads - gradients by name; read, not disposed.
 * @param maxNorm - > 0; `Infinity` computes the norm without clipping (TRL's
 *   `max_grad_norm=None`).
 * @returns new clipped gradients and the pre-clip norm; the caller disposes both.
 */
export function clipGradNorm(grads: GradientMap, maxNorm: number): ClippedGradients {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm <= 0) {
    throw new InvalidArgumentError('maxNorm', 'a number > 0 (Infinity for no clipping)', maxNorm);
  }
  const names = [...grads.keys()];
  const [norm, ...clipped] = tf.tidy(() => {
    const total = globalGradNorm(grads);
    // Infinity / x is Infinity, then min(Infinity, 1) is 1: no clipping.
    const scale = tf.minimum(tf.div(maxNorm, tf.add(total, CLIP_GRAD_NORM_EPSILON)), 1);
    return [total, ...[...grads.values()].map((g) => tf.mul(tf.cast(g, 'float32'), scale))];
  });
  return { grads: new Map(names.map((name, i) => [name, clipped[i]!])), norm: norm as tf.Scalar };
}
