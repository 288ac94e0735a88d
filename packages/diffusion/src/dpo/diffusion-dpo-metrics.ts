import * as tf from '@tensorflow/tfjs-core';
import {
  METRIC_NAMES,
  bucketMetrics,
  bucketStatistics,
  mergeBucketStatistics,
  type BucketStatistics,
  type Metrics,
} from '@dpo-ts/core';
import type { PairMetrics } from '@dpo-ts/core/preference';
import type { DiffusionPreferenceBatch } from './diffusion-preference-batch.js';
import { DENOISING_ERROR_DETAILS } from './diffusion-preference-scorer.js';
import type { TimestepBuckets } from './timestep-buckets.js';

/** Per-pair denoising errors of one batch on the host, `[batch]` each. */
export interface PairErrors {
  /** The policy's denoising error (mean squared error of the predicted noise) on each chosen image. */
  readonly policyChosen: Float32Array;
  /** The policy's denoising error on each rejected image. */
  readonly policyRejected: Float32Array;
  /** Omitted when training without a reference (reference-free): its scores count as 0. */
  readonly referenceChosen?: Float32Array;
  /** The reference's denoising error on each rejected image; omitted with `referenceChosen`. */
  readonly referenceRejected?: Float32Array;
  /** The pairs' timesteps. */
  readonly timesteps: ArrayLike<number>;
}

/**
 * Diffusion-DPO's own metrics of a training step or an evaluation ({@link DiffusionDPOMetrics}),
 * as core's `PairMetrics` hook: the per-pair denoising errors travel with the scores
 * (`details`, `DENOISING_ERROR_DETAILS`). Any batch with per-pair `timesteps` works (class- or
 * caption-conditioned, pixel or latent). The reference errors come from the reference
 * model's details, or from cached scores (mse = -score / scale); none without a reference.
 */
export function diffusionPairMetrics(
  beta: number,
  scale: number,
  buckets: TimestepBuckets,
): PairMetrics<Pick<DiffusionPreferenceBatch, 'timesteps'>> {
  return async (pairs) => {
    const accumulator = new DiffusionDPOMetrics(beta, scale, buckets);
    for (const { batch, policy, reference } of pairs) {
      const referenceErrors =
        reference === undefined
          ? undefined
          : reference.details[DENOISING_ERROR_DETAILS.chosen] !== undefined
            ? {
                chosen: reference.details[DENOISING_ERROR_DETAILS.chosen]!,
                rejected: reference.details[DENOISING_ERROR_DETAILS.rejected]!,
              }
            : {
                chosen: Float32Array.from(reference.chosen, (score) => -score / scale),
                rejected: Float32Array.from(reference.rejected, (score) => -score / scale),
              };
      await accumulator.add({
        policyChosen: policy[DENOISING_ERROR_DETAILS.chosen]!,
        policyRejected: policy[DENOISING_ERROR_DETAILS.rejected]!,
        ...(referenceErrors !== undefined
          ? { referenceChosen: referenceErrors.chosen, referenceRejected: referenceErrors.rejected }
          : {}),
        timesteps: batch.timesteps,
      });
    }
    return accumulator.metrics();
  };
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

  /**
   * Starts an empty accumulator.
   * @param beta - the DPO temperature the margins are computed with (the trainer's `beta`).
   * @param scale - score = -scale * mse (the trainer's `scoreScale`).
   * @param buckets - the timestep buckets of the per-bucket metrics.
   */
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
      const batch = await bucketStatistics(
        marginTensor,
        this.buckets.bucketOf(errors.timesteps),
        this.buckets.numBuckets,
      );
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
        ? {
            [METRIC_NAMES.mseReferenceChosen]: mean(this.sums.referenceChosen),
            [METRIC_NAMES.mseReferenceRejected]: mean(this.sums.referenceRejected),
          }
        : {}),
      ...bucketMetrics(this.statistics, this.buckets.labels),
    };
  }
}
