import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';

/** Options of {@link maskedWhiten}. */
export interface WhitenOptions {
  /**
   * Subtract the mean (true) or keep it: `whitened + mean` rescales the spread only (TRL's
   * `shift_mean=False`, used for rewards so their sign survives). @defaultValue true
   */
  readonly shiftMean?: boolean;
  /** Added to the variance under the square root. @defaultValue 1e-8 (TRL) */
  readonly epsilon?: number;
  /** Bessel-corrected variance, n / (n - 1) (TRL's `masked_var` default). @defaultValue true */
  readonly unbiased?: boolean;
}

function checkMask(values: tf.Tensor, mask: tf.Tensor | undefined): void {
  if (mask !== undefined && mask.shape.join() !== values.shape.join())
    throw new ShapeMismatchError('mask', values.shape, mask.shape);
}

/** `mask` as float32 0/1 and `values` with masked entries replaced by 0 (so NaN or ±Inf there cannot leak through a product). */
function maskedParts(values: tf.Tensor, mask: tf.Tensor | undefined): { weights: tf.Tensor; kept: tf.Tensor } {
  if (mask === undefined) return { weights: tf.onesLike(values), kept: values };
  const weights = tf.cast(tf.greater(mask, 0), 'float32');
  return { weights, kept: tf.where(tf.greater(mask, 0), values, tf.zerosLike(values)) };
}

/**
 * Mean over the unmasked entries: `sum(values * mask) / sum(mask)` (TRL's `masked_mean`),
 * over every entry when `mask` is omitted. Masked entries may hold anything, NaN included.
 * Differentiable in `values`.
 * @returns a new scalar the caller disposes; NaN when nothing is unmasked.
 */
export function maskedMean(values: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  checkMask(values, mask);
  return tf.tidy(() => {
    const { weights, kept } = maskedParts(values, mask);
    return tf.div(tf.sum(kept), tf.sum(weights)) as tf.Scalar;
  });
}

/**
 * Variance over the unmasked entries, TRL's `masked_var`: `mean((v - mean(v))^2)`, times
 * `n / (n - 1)` when `unbiased` (n = unmasked count; no correction when n <= 1, where TRL
 * raises instead).
 * @returns a new scalar the caller disposes.
 */
export function maskedVariance(values: tf.Tensor, mask?: tf.Tensor, unbiased = true): tf.Scalar {
  checkMask(values, mask);
  return tf.tidy(() => {
    const { weights, kept } = maskedParts(values, mask);
    const count = tf.sum(weights);
    const mean = tf.div(tf.sum(kept), count);
    const variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(kept, mean)), weights)), count);
    if (!unbiased) return variance as tf.Scalar;
    const correction = tf.where(
      tf.greater(count, 1),
      tf.div(count, tf.maximum(tf.sub(count, 1), 1)),
      tf.onesLike(count),
    );
    return tf.mul(variance, correction) as tf.Scalar;
  });
}

/**
 * Standardises values over the unmasked entries, TRL's `masked_whiten`:
 *
 *   whitened = (v - mean) / sqrt(var + epsilon)   (+ mean again when shiftMean is false)
 *
 * with the masked mean and (unbiased) variance, then sets masked entries to 0 (TRL's PPO
 * always follows `masked_whiten` with `masked_fill(padding, 0)`). PPO whitens advantages
 * (always) and rewards (`whitenRewards`); DDPO can whiten per-prompt rewards with it too.
 *
 * @see TRL `trl/core.py` `masked_whiten`; Huang et al. 2024, "The N+ Implementation Details of
 *   RLHF with PPO", details on reward and advantage whitening.
 * @param values - any shape.
 * @param mask - same shape, 1 where the entry counts; omitted: every entry counts.
 * @returns a new tensor of the shape of `values`; the caller disposes it.
 */
export function maskedWhiten(values: tf.Tensor, mask?: tf.Tensor, options: WhitenOptions = {}): tf.Tensor {
  const { shiftMean = true, epsilon = 1e-8, unbiased = true } = options;
  checkMask(values, mask);
  return tf.tidy(() => {
    const mean = maskedMean(values, mask);
    const variance = maskedVariance(values, mask, unbiased);
    let whitened = tf.mul(tf.sub(values, mean), tf.rsqrt(tf.add(variance, epsilon)));
    if (!shiftMean) whitened = tf.add(whitened, mean);
    return mask === undefined ? whitened : tf.where(tf.greater(mask, 0), whitened, tf.zerosLike(whitened));
  });
}
