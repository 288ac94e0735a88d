import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES, bucketMetrics, bucketStatistics, mergeBucketStatistics, type BucketStatistics, type Metrics } from '@dpo-ts/core';
import type { DenoisingErrorRecord } from './diffusion-preference-scorer.js';
import type { TimestepBuckets } from './timestep-buckets.js';

/** Per-pair denoising errors of one batch on the host, `[batch]` each. */
export interface PairErrors {
  readonly policyChosen: Float32Array;
  readonly policyRejected: Float32Array;
  /** Omitted when training without a reference (reference-free): its scores count as 0. */
  readonly referenceChosen?: Float32Array;
  readonly referenceRejected?: Float32Array;
  /** The pairs' timesteps. */
  readonly timesteps: ArrayLike<number>;
}

/**
 * Reads error records (async, webgpu-safe) into host arrays concatenated in record order, and
 * disposes them.
 */
export async function readErrorRecords(records: readonly DenoisingErrorRecord[]): Promise<{ chosen: Float32Array; rejected: Float32Array }> {
  try {
    const chosen = await Promise.all(records.map((r) => r.chosen.data() as Promise<Float32Array>));
    const rejected = await Promise.all(records.map((r) => r.rejected.data() as Promise<Float32Array>));
    return { chosen: concat(chosen), rejected: concat(rejected) };
  } finally {
    tf.dispose(records.flatMap((r) => [r.chosen, r.rejected]));
  }
}

/**
 * Accumulates Diffusion-DPO's own metrics over batches (one step's micro-batches, or a whole
 * evaluation set), weighted by pairs:
 *
 * - `mse/model_chosen`, `mse/model_rejected`, `mse/ref_chosen`, `mse/ref_rejected`: mean
 *   denoising error of policy and reference on each side (the official code logs the same as
 *   `model_mse_w`, `ref_mse_w`, ...). The reference ones are absent without a reference.
 * - `rewards/accuracies/<bucket>` and `rewards/margins/<bucket>` per timestep bucket (core's
 *   `bucketMetrics`), from the per-pair margin
 *   beta * scale * ((mse_ref_w - mse_w) - (mse_ref_l - mse_l)), exactly chosen minus rejected reward.
 */
export class DiffusionDPOMetrics {
  private statistics: BucketStatistics;
  private pairs = 0;
  private readonly sums = { modelChosen: 0, modelRejected: 0, referenceChosen: 0, referenceRejected: 0 };
  private hasReference = false;

  constructor(
    private readonly beta: number,
    private readonly scale: number,
    private readonly buckets: TimestepBuckets,
  ) {
    const zeros = (): number[] => new Array<number>(buckets.numBuckets).fill(0);
    this.statistics = { counts: zeros(), correct: zeros(), marginSums: zeros() };
  }

  /** Adds one batch. */
  async add(errors: PairErrors): Promise<void> {
    const n = errors.policyChosen.length;
    const referenceChosen = errors.referenceChosen ?? new Float32Array(n);
    const referenceRejected = errors.referenceRejected ?? new Float32Array(n);
    this.hasReference ||= errors.referenceChosen !== undefined;
    const margins = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const chosenGain = referenceChosen[i]! - errors.policyChosen[i]!;
      const rejectedGain = referenceRejected[i]! - errors.policyRejected[i]!;
      margins[i] = this.beta * this.scale * (chosenGain - rejectedGain);
      this.sums.modelChosen += errors.policyChosen[i]!;
      this.sums.modelRejected += errors.policyRejected[i]!;
      this.sums.referenceChosen += referenceChosen[i]!;
      this.sums.referenceRejected += referenceRejected[i]!;
    }
    this.pairs += n;
    const marginTensor = tf.tensor1d(margins);
    try {
      const batch = await bucketStatistics(marginTensor, this.buckets.bucketOf(errors.timesteps), this.buckets.numBuckets);
      this.statistics = mergeBucketStatistics(this.statistics, batch);
    } finally {
      marginTensor.dispose();
    }
  }

  /** The metrics of everything added. */
  metrics(): Metrics {
    if (this.pairs === 0) return {};
    const mean = (sum: number): number => sum / this.pairs;
    return {
      [METRIC_NAMES.mseModelChosen]: mean(this.sums.modelChosen),
      [METRIC_NAMES.mseModelRejected]: mean(this.sums.modelRejected),
      ...(this.hasReference
        ? { [METRIC_NAMES.mseReferenceChosen]: mean(this.sums.referenceChosen), [METRIC_NAMES.mseReferenceRejected]: mean(this.sums.referenceRejected) }
        : {}),
      ...bucketMetrics(this.statistics, this.buckets.labels),
    };
  }
}

function concat(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
