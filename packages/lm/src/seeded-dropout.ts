import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@dpo-ts/core/training';

/**
 * Inverted dropout with a seed drawn from `rng`: each element is zeroed with probability
 * `rate`, survivors are scaled by `1 / (1 - rate)`, so the expectation is unchanged. Returns
 * `x` itself (no new tensor) when `rate` is 0 or `rng` is undefined (evaluation).
 *
 * @see Srivastava et al. 2014, "Dropout", Sec. 10 (inverted scaling as in every framework).
 */
export function seededDropout<T extends tf.Tensor>(x: T, rate: number, rng: Rng | undefined): T {
  if (rate === 0 || rng === undefined) return x;
  return tf.dropout(x, rate, undefined, rng.nextSeed()) as T;
}
