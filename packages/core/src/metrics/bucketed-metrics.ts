import type * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '../errors/shape-mismatch-error.js';
import { requireInteger } from '../errors/validate.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { METRIC_NAMES } from './metric-names.js';

/** Per-bucket sums, so buckets can be accumulated over many batches before averaging. */
export interface BucketStatistics {
  /** Pairs seen per bucket. */
  readonly counts: number[];
  /** Pairs with chosen reward strictly greater, per bucket. */
  readonly correct: number[];
  /** Sum of reward margins per bucket. */
  readonly marginSums: number[];
}

/**
 * Splits pairs into buckets (for Diffusion-DPO: by timestep, so users see at which noise
 * levels the preference is learned, which a flat average loss hides) and sums accuracy and
 * margin per bucket. Reads the tensors (async) and leaves them to the caller.
 *
 * @param margins - chosen minus rejected reward per pair, `[batch]`.
 * @param bucketIds - integer bucket of each pair in [0, numBuckets), `[batch]` (plain array).
 */
export async function bucketStatistics(
  margins: tf.Tensor1D,
  bucketIds: readonly number[],
  numBuckets: number,
): Promise<BucketStatistics> {
  requireInteger('numBuckets', numBuckets, { min: 1 });
  assertShape('bucketIds', [bucketIds.length], [margins.shape[0]]);
  const values = await margins.data();
  const counts = new Array<number>(numBuckets).fill(0);
  const correct = new Array<number>(numBuckets).fill(0);
  const marginSums = new Array<number>(numBuckets).fill(0);
  bucketIds.forEach((bucket, i) => {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= numBuckets) {
      throw new InvalidArgumentError(`bucketIds[${i}]`, `an integer in [0, ${numBuckets})`, bucket);
    }
    const margin = values[i]!;
    counts[bucket]! += 1;
    correct[bucket]! += margin > 0 ? 1 : 0;
    marginSums[bucket]! += margin;
  });
  return { counts, correct, marginSums };
}

/** Adds two bucket statistics elementwise (for accumulation over an eval set). */
export function mergeBucketStatistics(a: BucketStatistics, b: BucketStatistics): BucketStatistics {
  if (a.counts.length !== b.counts.length) {
    throw new InvalidArgumentError('b.counts.length', `${a.counts.length} buckets (as a)`, b.counts.length);
  }
  return {
    counts: a.counts.map((c, i) => c + b.counts[i]!),
    correct: a.correct.map((c, i) => c + b.correct[i]!),
    marginSums: a.marginSums.map((c, i) => c + b.marginSums[i]!),
  };
}

/**
 * Turns bucket statistics into metrics named `rewards/accuracies/<label>` and
 * `rewards/margins/<label>`; empty buckets are omitted (not reported as 0).
 *
 * @param labels - one label per bucket, for example timestep ranges `t000-199`.
 */
export function bucketMetrics(statistics: BucketStatistics, labels: readonly string[]): Record<string, number> {
  if (labels.length !== statistics.counts.length) {
    throw new InvalidArgumentError('labels', `one label per bucket (${statistics.counts.length})`, labels.length);
  }
  const out: Record<string, number> = {};
  statistics.counts.forEach((count, i) => {
    if (count === 0) return;
    out[`${METRIC_NAMES.rewardsAccuracies}/${labels[i]}`] = statistics.correct[i]! / count;
    out[`${METRIC_NAMES.rewardsMargins}/${labels[i]}`] = statistics.marginSums[i]! / count;
  });
  return out;
}
