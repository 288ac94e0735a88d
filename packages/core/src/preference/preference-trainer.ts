import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { PreferenceLossState } from '../losses/preference-loss.js';
import { createPreferenceLossState, updatePreferenceLossStateFromRewards } from '../losses/preference-loss-state.js';
import { MetricAccumulator } from '../metrics/metric-accumulator.js';
import type { Metrics } from '../metrics/metric-names.js';
import type { GradientEngine } from '../parallel/gradient-engine.js';
import type { LossAndMetrics } from '../parallel/parallel-task.js';
import { secondsSince, stepPhaseMetrics, stepPhasesEnabled } from '../parallel/step-phases.js';
import type { PairScores } from '../surrogate/pair-scores.js';
import type { Checkpointable, NamedVariables, PreferenceScorer } from '../surrogate/preference-scorer.js';
import type { AdamWOptimizer } from '../training/adamw-optimizer.js';
import type { CheckpointContent, LoadedCheckpoint } from '../training/checkpoint.js';
import type { LRSchedule } from '../training/lr-schedule.js';
import { microBatchStep } from '../training/micro-batch-step.js';
import { adamWFromConfig, lrScheduleFromConfig } from '../training/optimizer-from-config.js';
import { restoreWeights } from '../training/restore-weights.js';
import {
  resolvePreferenceTrainerConfig,
  type PreferenceTrainerConfig,
  type ResolvedPreferenceTrainerConfig,
} from './preference-trainer-config.js';
import { readPairScores, type HostPairScores } from './host-pair-scores.js';
import {
  preferenceLoss,
  preferenceMicroBatchLoss,
  REFERENCE_ON_REPLICA,
  referenceFromOutputs,
  SCORE_DETAIL_PREFIX,
  type PreferenceMicroBatch,
} from './preference-micro-batch-loss.js';
import { disposePairScores, referenceScores, type ReferenceSource } from './reference-source.js';
import { syncReferenceWeights } from './sync-reference.js';

/** One batch's per-pair numbers on the host, for a {@link PairMetrics} hook. */
export interface ScoredPairs<TBatch> {
  /** The batch of pairs these numbers belong to, as the modality built it. */
  readonly batch: TBatch;
  /** The policy scores' `details` (see `PairScores.details`), `[batch]` each. */
  readonly policy: Readonly<Record<string, Float32Array>>;
  /** The reference scores and their `details`; undefined without a reference. */
  readonly reference:
    | {
        /** Reference score of each chosen response, `[batch]`. */
        readonly chosen: Float32Array;
        /** Reference score of each rejected response, `[batch]`. */
        readonly rejected: Float32Array;
        /** The reference scores' `details` by name, `[batch]` each (empty when the modality has none). */
        readonly details: Readonly<Record<string, Float32Array>>;
      }
    | undefined;
}

/**
 * A modality's own metrics of a training step (its micro-batches) or of an evaluation (its
 * batches), computed from what travelled with the scores; merged into the step's metrics.
 */
export type PairMetrics<TBatch> = (pairs: readonly ScoredPairs<TBatch>[]) => Metrics | Promise<Metrics>;

/** What a {@link PreferenceTrainer} trains. */
export interface PreferenceTrainerOptions<TBatch> {
  /**
   * The policy: scored on the tape; the named variables it lists in `trainableVariables()` (and
   * not marked `trainable: false`) are optimised, the others kept as they are but checkpointed.
   */
  readonly policy: PreferenceScorer<TBatch> & Checkpointable;
  /** Reference scores: a frozen model, a cache, or none (reference-free). */
  readonly reference: ReferenceSource<TBatch>;
  /**
   * The settings: a config resolved once by the caller (`resolvePreferenceTrainerConfig`, or a
   * resolved config that extends it, as lm's `ResolvedDPOConfig`), used as is; or a plain
   * {@link PreferenceTrainerConfig}, resolved here.
   */
  readonly config: PreferenceTrainerConfig | ResolvedPreferenceTrainerConfig;
  /** Pairs in a batch, for weighting evaluation means. @defaultValue read from the scores */
  readonly batchSize?: (batch: TBatch) => number;
  /** The modality's own metrics from the scores' `details` (diffusion's per-timestep metrics). */
  readonly pairMetrics?: PairMetrics<TBatch>;
}

/**
 * Direct preference optimisation for any modality: one optimiser step on a batch of pairs,
 * evaluation, TR-DPO reference syncing, and checkpoint content. Everything model-specific sits
 * behind {@link PreferenceScorer}; `@dpo-ts/lm`'s `DPOTrainer` and `@dpo-ts/diffusion`'s
 * Diffusion-DPO trainer run it through {@link PreferenceTrainerBase}.
 *
 * One step (`trainStep`): reference scores (outside the tape) -> core's `microBatchStep` with
 * the loss of one micro-batch (policy scores on the tape -> `computePreferenceLoss` -> TRL's
 * metrics; gradients averaged over micro-batches, clipped, AdamW) -> loss-state update after
 * each micro-batch (bco_pair) -> TR-DPO sync every `refModelSyncSteps` steps. Returns TRL's
 * metrics: `loss`, `grad_norm` (before clipping), `learning_rate`, `rewards/*`, `logps/*`,
 * `logits/*`, plus the modality's `pairMetrics`. A non-finite loss or gradient norm throws
 * `NonFiniteError` *before* the weights change.
 *
 * Tensors: the trainer keeps only variables and optimiser state across steps.
 */
export class PreferenceTrainer<TBatch> {
  /** The resolved config (resolved here when the options gave a plain one); frozen. */
  readonly config: ResolvedPreferenceTrainerConfig;
  /** The policy scorer whose trainable variables the optimiser updates; the caller's, not disposed here. */
  readonly policy: PreferenceScorer<TBatch> & Checkpointable;
  /** Where reference scores come from: a frozen model's scorer, a score cache, or none. */
  readonly reference: ReferenceSource<TBatch>;
  /**
   * AdamW over the policy's trainable variables (built from the config's optimiser fields); owns its moment tensors, freed by {@link dispose}.
   */
  readonly optimizer: AdamWOptimizer;
  /** Cross-step loss state (bco_pair's running mean); saved in checkpoints. */
  lossState: PreferenceLossState = createPreferenceLossState();
  /**
   * Computes the micro-batch gradients of `trainStep` when set: a worker pool built on the
   * policy's variables and {@link microBatchLoss} (`PreferenceTrainerBase.train` sets one for
   * `workers` > 1 and closes it after). Unset: the main thread computes them.
   */
  engine: GradientEngine<PreferenceMicroBatch<TBatch>> | undefined;
  /**
   * Whether `engine`'s workers hold frozen reference replicas (core's `createPreferenceEngine`
   * with a reference spec): `trainStep` then sends no reference scores and the workers compute
   * them in parallel. Meaningful only while `engine` is set. @defaultValue false
   */
  referenceOnReplicas = false;
  /** The loss of one micro-batch, the same function worker replicas run (`createPreferenceTask`). */
  readonly microBatchLoss: LossAndMetrics<PreferenceMicroBatch<TBatch>>;
  private readonly schedule: LRSchedule;
  private readonly trainable: NamedVariables;
  private readonly batchSize: ((batch: TBatch) => number) | undefined;
  private readonly pairMetrics: PairMetrics<TBatch> | undefined;

  /**
   * Resolves `options.config` unless it is already resolved, picks the policy's trainable
   * variables (listed by `trainableVariables()` and not marked `trainable: false`) and builds
   * AdamW and the learning-rate schedule over them. The trainer owns the optimiser state
   * ({@link dispose}); the policy and the reference stay the caller's.
   * @throws InvalidArgumentError when `syncRefModel` is set but the reference is not a model.
   */
  constructor(options: PreferenceTrainerOptions<TBatch>) {
    this.config = isResolved(options.config) ? options.config : resolvePreferenceTrainerConfig(options.config);
    this.policy = options.policy;
    this.reference = options.reference;
    this.batchSize = options.batchSize;
    this.pairMetrics = options.pairMetrics;
    if (this.config.syncRefModel && this.reference.kind !== 'model') {
      throw new InvalidArgumentError(
        'config.syncRefModel',
        'false unless the reference is a model (a cache or no reference cannot be synced)',
        true,
        `reference kind is "${this.reference.kind}"`,
      );
    }
    // The optimiser updates what the scorer lists as trainable (a frozen text encoder inside the
    // policy is named for checkpoints but not listed), minus variables marked `trainable: false`.
    const listed = new Set(this.policy.trainableVariables());
    this.trainable = new Map([...this.policy.namedVariables()].filter(([, v]) => v.trainable && listed.has(v)));
    this.optimizer = adamWFromConfig(this.trainable, this.config);
    this.schedule = lrScheduleFromConfig(this.config);
    this.microBatchLoss = preferenceMicroBatchLoss(this.policy, this.config.loss, () => this.lossState);
  }

  /**
   * One optimiser step, 0-based `stepIndex` (it sets the learning rate and the sync schedule).
   * Several batches are micro-batches of one step: their gradients are averaged.
   */
  async trainStep(batches: TBatch | readonly TBatch[], stepIndex: number): Promise<Metrics> {
    const microBatches = (Array.isArray(batches) ? batches : [batches]) as readonly TBatch[];
    if (microBatches.length === 0) throw new InvalidArgumentError('batches', 'at least one batch', microBatches);
    // Reference scores travel to the loss as host arrays (worker threads cannot share tensors).
    const onReplicas = this.engine !== undefined && this.referenceOnReplicas && this.reference.kind === 'model';
    const hostReferences: (HostPairScores | null)[] = [];
    const referenceStart = performance.now();
    for (const batch of onReplicas ? [] : microBatches) {
      const scores = await referenceScores(this.reference, batch);
      try {
        hostReferences.push(await readPairScores(scores));
      } finally {
        disposePairScores(scores);
      }
    }
    const referenceSeconds = secondsSince(referenceStart);
    const { metrics: stepMetrics, microBatches: results } = await microBatchStep({
      optimizer: this.optimizer,
      variables: this.trainable,
      microBatches: microBatches.map((batch, i) => ({
        batch,
        reference: onReplicas ? REFERENCE_ON_REPLICA : hostReferences[i]!,
      })),
      lossAndMetrics: this.microBatchLoss,
      ...(this.engine !== undefined ? { engine: this.engine } : {}),
      step: { lossState: { ...this.lossState } },
      reduction: 'mean',
      learningRate: this.schedule(stepIndex),
      maxGradNorm: this.config.maxGradNorm,
      stepIndex,
      afterMicroBatch: ({ outputs }) =>
        void updatePreferenceLossStateFromRewards(
          this.lossState,
          outputs.chosenRewards!,
          outputs.rejectedRewards!,
          stepIndex,
        ),
    });
    const metrics = stepPhasesEnabled()
      ? { ...stepMetrics, ...stepPhaseMetrics({ reference: referenceSeconds }) }
      : stepMetrics;
    if (
      this.config.syncRefModel &&
      this.reference.kind === 'model' &&
      (stepIndex + 1) % this.config.refModelSyncSteps === 0
    ) {
      syncReferenceWeights(
        this.policy.namedVariables(),
        this.reference.scorer.namedVariables(),
        this.config.refModelMixupAlpha,
      );
    }
    if (this.pairMetrics === undefined) return metrics;
    const pairs = results.map((result, i) => ({
      batch: microBatches[i]!,
      policy: details(result.outputs),
      reference: hostOnly(onReplicas ? referenceFromOutputs(result.outputs) : hostReferences[i]!),
    }));
    return { ...metrics, ...(await this.pairMetrics(pairs)) };
  }

  /**
   * Loss and metrics over evaluation batches, without gradients or state changes; means are
   * weighted by pairs per batch.
   */
  async evaluate(batches: Iterable<TBatch>): Promise<Metrics> {
    const accumulator = new MetricAccumulator();
    const pairs: ScoredPairs<TBatch>[] = [];
    for (const batch of batches) {
      const reference = await referenceScores(this.reference, batch);
      try {
        const { loss, metrics, outputs } = tf.tidy(() => {
          const output = preferenceLoss(this.policy, batch, reference, this.config.loss, this.lossState, {
            training: false,
          });
          return { loss: output.loss, metrics: { ...output.metrics }, outputs: { ...output.outputs } };
        });
        const tensors = { loss, ...metrics };
        const read = await Promise.all(Object.values(tensors).map((t) => t.data()));
        const values = Object.fromEntries(Object.keys(tensors).map((name, i) => [name, read[i]![0]!]));
        const size = outputs.chosenRewards!.shape[0]!;
        if (this.pairMetrics !== undefined) {
          const host = await Promise.all(Object.values(outputs).map((t) => t.data()));
          const hostOutputs = Object.fromEntries(
            Object.keys(outputs).map((name, i) => [name, Float32Array.from(host[i]!)]),
          );
          pairs.push({ batch, policy: details(hostOutputs), reference: await readReference(reference) });
        }
        tf.dispose([...Object.values(tensors), ...Object.values(outputs)]);
        accumulator.add(values, this.batchSize?.(batch) ?? size);
      } finally {
        disposePairScores(reference);
      }
    }
    const metrics = accumulator.mean();
    return this.pairMetrics === undefined ? metrics : { ...metrics, ...(await this.pairMetrics(pairs)) };
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
        [...checkpoint.weights]
          .filter(([name]) => name.startsWith('reference/'))
          .map(([name, data]) => [name.slice('reference/'.length), data]),
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

/** The `details/` outputs of a micro-batch, without the prefix. */
function details(outputs: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> {
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([name]) => name.startsWith(SCORE_DETAIL_PREFIX))
      .map(([name, values]) => [name.slice(SCORE_DETAIL_PREFIX.length), values]),
  );
}

/** Host reference scores in a {@link ScoredPairs} (undefined for none). */
function hostOnly(scores: HostPairScores | null): ScoredPairs<unknown>['reference'] {
  return scores === null
    ? undefined
    : { chosen: scores.chosen, rejected: scores.rejected, details: scores.details ?? {} };
}

/** Reference scores on the host (undefined for none). */
async function readReference(scores: PairScores | null): Promise<ScoredPairs<unknown>['reference']> {
  if (scores === null) return undefined;
  const entries = Object.entries(scores.details ?? {});
  const [chosen, rejected, ...rest] = await Promise.all([
    scores.chosen.data(),
    scores.rejected.data(),
    ...entries.map(([, t]) => t.data()),
  ]);
  return {
    chosen: Float32Array.from(chosen!),
    rejected: Float32Array.from(rejected!),
    details: Object.fromEntries(entries.map(([name], i) => [name, Float32Array.from(rest[i]!)])),
  };
}

function isResolved(
  config: PreferenceTrainerConfig | ResolvedPreferenceTrainerConfig,
): config is ResolvedPreferenceTrainerConfig {
  const loss = (config as { loss?: unknown } | null)?.loss;
  return typeof loss === 'object' && loss !== null && Array.isArray((loss as { lossType?: unknown }).lossType);
}
