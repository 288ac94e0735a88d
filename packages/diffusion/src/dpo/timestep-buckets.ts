import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/**
 * Equal-width buckets over the timesteps [0, T): bucket b holds t with
 * floor(t * numBuckets / T) = b. Diffusion-DPO learns very differently across noise levels
 * (near t = 0 the two images are almost noise-free and easy to tell apart; near T both are
 * almost pure noise and the margin is tiny), which a flat average hides; the trainer reports
 * accuracy and margin per bucket with core's `bucketMetrics`.
 */
export interface TimestepBuckets {
  /** T, the schedule's number of timesteps; buckets cover [0, T). */
  readonly numTimesteps: number;
  /** Number of buckets, of equal width up to one timestep (`t * numBuckets / T`, rounded down). */
  readonly numBuckets: number;
  /** One label per bucket, `t000-199`, zero-padded to the digits of T - 1. */
  readonly labels: readonly string[];
  /** The bucket of each timestep. */
  bucketOf(timesteps: ArrayLike<number>): number[];
}

/**
 * Builds {@link TimestepBuckets} for T = `numTimesteps` and `numBuckets` <= T buckets.
 * @example
 * timestepBuckets(1000, 5).labels; // ['t000-199', 't200-399', 't400-599', 't600-799', 't800-999']
 */
export function timestepBuckets(numTimesteps: number, numBuckets: number): TimestepBuckets {
  requireInteger('numTimesteps', numTimesteps, { min: 1 });
  requireInteger('numBuckets', numBuckets, { min: 1, max: numTimesteps });
  const digits = String(numTimesteps - 1).length;
  const pad = (t: number): string => String(t).padStart(digits, '0');
  const first = (b: number): number => Math.ceil((b * numTimesteps) / numBuckets);
  const labels = Array.from({ length: numBuckets }, (_, b) => `t${pad(first(b))}-${pad(first(b + 1) - 1)}`);
  return {
    numTimesteps,
    numBuckets,
    labels,
    bucketOf: (timesteps) =>
      Array.from(timesteps, (t, i) => {
        if (!Number.isInteger(t) || t < 0 || t >= numTimesteps)
          throw new InvalidArgumentError(`timesteps[${i}]`, `an integer in [0, ${numTimesteps})`, t);
        return Math.floor((t * numBuckets) / numTimesteps);
      }),
  };
}
