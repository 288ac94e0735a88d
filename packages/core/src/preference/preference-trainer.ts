import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { computePreferenceLoss } from '../losses/compute-preference-loss.js';
import type { PreferenceLossState } from '../losses/preference-loss.js';
import { createPreferenceLossState, updatePreferenceLossState } from '../losses/preference-loss-state.js';
import { MetricAccumulator } from '../metrics/metric-accumulator.js';
import { METRIC_NAMES, type Metrics } from '../metrics/metric-names.js';
import { preferenceMetricTensors, readMetrics } from '../metrics/preference-metrics.js';
import type { Checkpointable, NamedVariables, PreferenceScorer } from '../surrogate/preference-scorer.js';
import { accumulateGradients } from '../training/accumulate-gradients.js';
import type { AdamWOptimizer } from '../training/adamw-optimizer.js';
import { applyGradientStep } from '../training/apply-gradient-step.js';
import type { CheckpointContent, LoadedCheckpoint } from '../training/checkpoint.js';
import type { LRSchedule } from '../training/lr-schedule.js';
import { computeNamedGradients } from '../training/named-gradients.js';
import { adamWFromConfig, lrScheduleFromConfig } from '../training/optimizer-from-config.js';
import { assertFinite } from '../training/non-finite-guard.js';
import { restoreWeights } from '../training/restore-weights.js';
import {
  resolvePreferenceTrainerConfig,
  type PreferenceTrainerConfig,
  type ResolvedPreferenceTrainerConfig,
} from './preference-trainer-config.js';
import { referenceScores, type ReferenceSource } from './reference-source.js';
import { syncReferenceWeights } from './sync-reference.js';

/** What a {@link PreferenceTrainer} trains. */
export interface PreferenceTrainerOptions<TBatch> {
  /** The policy: scored on the tape; its trainable named variables are optimised. */
  readonly policy: PreferenceScorer<TBatch> & Checkpointable;
  /** Reference scores: a frozen model, a disk cache, or none (reference-free). */
  readonly reference: ReferenceSource<TBatch>;
  readonly config: PreferenceTrainerConfig;
  /** Pairs in a batch, for weighting evaluation means. @defaultValue read from the scores */
  readonly batchSize?: (batch: TBatch) => number;
}

/**
 * Direct preference optimisation for any modality: one optimiser step on a batch of pairs,
 * evaluation, TR-DPO reference syncing, and checkpoint content. Everything model-specific sits
 * behind {@link PreferenceScorer}; `@dpo-ts/lm`'s `DPOTrainer` and `@dpo-ts/diffusion`'s
 * Diffusion-DPO trainer are this class with their scorer and batch builder.
 *
 * One step (`trainStep`): reference scores (outside the tape) -> policy scores on the tape ->
 * `computePreferenceLoss` -> gradients (averaged over micro-batches when several are given:
 * gradient accumulation) -> global-norm clipping -> AdamW with the scheduled learning rate ->
 * loss-state update (bco_pair) -> TR-DPO sync every `refModelSyncSteps` steps. Returns TRL's
 * metrics: `loss`, `grad_norm` (before clipping), `learning_rate`, `rewards/*`, `logps/*`.
 * A non-finite loss or gradient norm throws `NonFiniteError` *before* the weights change.
 *
 * Tensors: the trainer keeps only variables and optimiser state across steps.
 */
export class PreferenceTrainer<TBatch> {
  readonly config: ResolvedPreferenceTrainerConfig;
  readonly policy: PreferenceScorer<TBatch> & Checkpointable;
  readonly reference: ReferenceSource<TBatch>;
  readonly optimizer: AdamWOptimizer;
  /** Cross-step loss state (bco_pair's running mean); saved in checkpoints. */
  lossState: PreferenceLossState = createPreferenceLossState();
  private readonly schedule: LRSchedule;
  private readonly trainable: NamedVariables;
  private readonly batchSize: ((batch: TBatch) => number) | undefined;

  constructor(options: PreferenceTrainerOptions<TBatch>) {
    this.config = resolvePreferenceTrainerConfig(options.config);
    this.policy = options.policy;
    this.reference = options.reference;
    this.batchSize = options.batchSize;
    if (this.config.syncRefModel && this.reference.kind !== 'model') {
      throw new InvalidArgumentError(
        'config.syncRefModel',
        'false unless the reference is a model (a cache or no reference cannot be synced)',
        true,
        `reference kind is "${this.reference.kind}"`,
      );
    }
    this.trainable = new Map([...this.policy.namedVariables()].filter(([, v]) => v.trainable));
    this.optimizer = adamWFromConfig(this.trainable, this.config);
    this.schedule = lrScheduleFromConfig(this.config);
  }

  /**
   * One optimiser step, 0-based `stepIndex` (it sets the learning rate and the sync schedule).
   * Several batches are micro-batches of one step: their gradients are averaged.
   */
  async trainStep(batches: TBatch | readonly TBatch[], stepIndex: number): Promise<Metrics> {
    const microBatches = (Array.isArray(batches) ? batches : [batches]) as readonly TBatch[];
    if (microBatches.length === 0) throw new InvalidArgumentError('batches', 'at least one batch', microBatches);
    const learningRate = this.schedule(stepIndex);
    const accumulated = new Map<string, tf.Tensor>();
    const metrics = new MetricAccumulator();
    try {
      for (const batch of microBatches) {
        const { grads, values } = await this.microStep(batch, stepIndex);
        accumulateGradients(accumulated, grads, microBatches.length); // the mean over micro-batches
        metrics.add(values);
      }
      const mean = metrics.mean();
      const gradNorm = await applyGradientStep(this.optimizer, accumulated, { maxGradNorm: this.config.maxGradNorm, learningRate, stepIndex });
      if (this.config.syncRefModel && this.reference.kind === 'model' && (stepIndex + 1) % this.config.refModelSyncSteps === 0) {
        syncReferenceWeights(this.policy.namedVariables(), this.reference.scorer.namedVariables(), this.config.refModelMixupAlpha);
      }
      return { ...mean, [METRIC_NAMES.gradNorm]: gradNorm, [METRIC_NAMES.learningRate]: learningRate };
    } finally {
      tf.dispose([...accumulated.values()]);
    }
  }

  /** Loss, gradients and metrics of one micro-batch; commits the loss state. */
  private async microStep(batch: TBatch, stepIndex: number): Promise<{ grads: Map<string, tf.Tensor>; values: Metrics }> {
    const reference = await referenceScores(this.reference, batch);
    let kept: tf.Tensor[] = [];
    try {
      let metricTensors: Record<string, tf.Scalar> = {};
      let rewards: [tf.Tensor1D, tf.Tensor1D] | undefined;
      const { value, grads } = computeNamedGradients(() => {
        const scores = this.policy.score(batch, { training: true });
        const result = computePreferenceLoss(scores, reference, this.config.loss, this.lossState);
        metricTensors = preferenceMetricTensors({
          chosenRewards: result.chosenRewards,
          rejectedRewards: result.rejectedRewards,
          policyChosenScores: scores.chosen,
          policyRejectedScores: scores.rejected,
        });
        rewards = [result.chosenRewards, result.rejectedRewards];
        kept = [...Object.values(metricTensors), ...rewards].map((t) => tf.keep(t));
        return result.loss;
      }, this.trainable);
      const loss = (await value.data())[0]!;
      value.dispose();
      try {
        assertFinite(METRIC_NAMES.loss, loss, stepIndex);
        updatePreferenceLossState(this.lossState, rewards![0], rewards![1], stepIndex);
      } catch (error) {
        tf.dispose([...grads.values()]);
        tf.dispose(Object.values(metricTensors));
        throw error;
      }
      const values = await readMetrics(metricTensors);
      return { grads, values: { [METRIC_NAMES.loss]: loss, ...values } };
    } finally {
      tf.dispose(kept);
      if (reference !== null) tf.dispose(Object.values(reference).filter((t) => t instanceof tf.Tensor));
    }
  }

  /**
   * Loss and metrics over evaluation batches, without gradients or state changes; means are
   * weighted by pairs per batch.
   */
  async evaluate(batches: Iterable<TBatch>): Promise<Metrics> {
    const accumulator = new MetricAccumulator();
    for (const batch of batches) {
      const reference = await referenceScores(this.reference, batch);
      try {
        const { loss, metricTensors, pairs } = tf.tidy(() => {
          const scores = this.policy.score(batch, { training: false });
          const result = computePreferenceLoss(scores, reference, this.config.loss, this.lossState);
          return {
            loss: result.loss,
            pairs: result.losses.shape[0],
            metricTensors: preferenceMetricTensors({
              chosenRewards: result.chosenRewards,
              rejectedRewards: result.rejectedRewards,
              policyChosenScores: scores.chosen,
              policyRejectedScores: scores.rejected,
            }),
          };
        });
        const values = await readMetrics({ [METRIC_NAMES.loss]: loss, ...metricTensors });
        accumulator.add(values, this.batchSize?.(batch) ?? pairs);
      } finally {
        if (reference !== null) tf.dispose(Object.values(reference).filter((t) => t instanceof tf.Tensor));
      }
    }
    return accumulator.mean();
  }

  /** Everything a checkpoint needs: policy weights, optimiser, loss state, reference weights when synced. */
  async checkpointContent(): Promise<CheckpointContent> {
    const weights = new Map<string, tf.Tensor>(this.policy.namedVariables());
    if (this.config.syncRefModel && this.reference.kind === 'model') {
      for (const [name, variable] of this.reference.scorer.namedVariables()) weights.set(`reference/${name}`, variable);
    }
    return {
      weights,
      optimizer: await this.optimizer.state(),
      metadata: { lossState: { ...this.lossState } },
    };
  }

  /** Restores what {@link checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    const policyWeights = new Map([...checkpoint.weights].filter(([name]) => !name.startsWith('reference/')));
    restoreWeights(this.policy.namedVariables(), policyWeights, { source: checkpoint.path });
    if (this.config.syncRefModel && this.reference.kind === 'model') {
      const referenceWeights = new Map(
        [...checkpoint.weights].filter(([name]) => name.startsWith('reference/')).map(([name, data]) => [name.slice('reference/'.length), data]),
      );
      restoreWeights(this.reference.scorer.namedVariables(), referenceWeights, { source: checkpoint.path });
    }
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
    const metadata = checkpoint.metadata as { lossState?: PreferenceLossState } | null;
    if (metadata?.lossState !== undefined) this.lossState = { ...metadata.lossState };
  }

  /** Frees the optimiser state (the models belong to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
