import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { evalPrefixed } from '../metrics/eval-metrics.js';
import { METRIC_NAMES, type Metrics } from '../metrics/metric-names.js';
import type { ParallelTaskSpec } from '../parallel/parallel-task.js';
import type { Checkpointable, PreferenceScorer } from '../surrogate/preference-scorer.js';
import type { CheckpointContent, LoadedCheckpoint } from '../training/checkpoint.js';
import type { JsonValue } from '../training/checkpoint-format.js';
import { Throughput } from '../training/throughput.js';
import { runTrainerLoop, trainingArgumentsLoop, type TrainOptions } from '../training/train-options.js';
import type { TrainingLoopResult } from '../training/training-loop.js';
import type { PreparedReference } from './prepare-reference.js';
import type { ResolvedPreferenceTrainerConfig } from './preference-trainer-config.js';
import { PreferenceTrainer, type PairMetrics } from './preference-trainer.js';
import { assertPreferenceWorkers, createPreferenceEngine } from './preference-workers.js';
import { disposePairScores, referenceScores, type ReferenceSource } from './reference-source.js';
import type { ReferenceScoreStore } from './reference-score-store.js';
import { reportLine } from './report-line.js';

/** The settings {@link PreferenceTrainerBase} reads beyond the preference trainer's. */
export interface ResolvedPreferenceRunConfig extends ResolvedPreferenceTrainerConfig {
  /** Score every pair with the reference once, before training, and keep the scores. */
  readonly precomputeRefLogProbs: boolean;
  /** Pairs per batch when precomputing. */
  readonly precomputeRefBatchSize: number;
}

/** What a modality hands to {@link PreferenceTrainerBase}'s constructor. */
export interface PreferenceTrainerParts<TModel, TBatch, TConfig extends ResolvedPreferenceRunConfig> {
  /** The trainer's tag in checkpoints' `metadata.trainer`: `'dpo'`, `'diffusion-dpo'`. */
  readonly kind: string;
  /** The resolved config: training arguments, loss, reference and modality fields, validated once in `create`. */
  readonly config: TConfig;
  /** The policy model, trained in place. */
  readonly model: TModel;
  /** The reference as core's `prepareReference` set it up. */
  readonly reference: PreparedReference<TModel>;
  /** Scores the policy on the tape. */
  readonly policyScorer: PreferenceScorer<TBatch> & Checkpointable;
  /** Scores the reference (outside the tape); undefined when reference-free. */
  readonly referenceScorer: (PreferenceScorer<TBatch> & Checkpointable) | undefined;
  /** Stable key of each pair of a batch, in batch order (the reference cache's keys). */
  readonly keys: (batch: TBatch) => readonly string[];
  /** Pairs in a batch. */
  readonly numPairs: (batch: TBatch) => number;
  /** The modality's own metrics from what travels with the scores. */
  readonly pairMetrics?: PairMetrics<TBatch>;
  /**
   * The policy's architecture (fields weight shapes do not reveal: head count, norm epsilon,
   * group count...), recorded in checkpoints; resuming one of another architecture is refused.
   * @defaultValue undefined (not recorded or checked)
   */
  readonly modelConfig?: JsonValue;
  /**
   * How a worker thread rebuilds the policy scorer (a core `PreferenceScorerFactory` spec, lm's
   * `gptPreferenceScorerSpec`), for `config.workers` > 1. Undefined: `workers` must resolve to 1.
   * @defaultValue undefined
   */
  readonly workerScorer?: ParallelTaskSpec;
  /**
   * How a worker thread rebuilds the frozen reference scorer (the same kind of spec as
   * `workerScorer`, for the reference model's architecture), so that with `workers` > 1 each
   * worker scores its own micro-batches with the reference instead of the main thread scoring
   * them all first. Used only with a reference model (not a score cache or reference-free).
   * Undefined: reference scores are computed on the main thread and sent with the micro-batches.
   * @defaultValue undefined
   */
  readonly workerReferenceScorer?: ParallelTaskSpec;
  /**
   * Whether `workers: 'auto'` may start workers for this modality. False where a micro-batch is
   * too little work per weight for the per-step copies to pay off (diffusion's MLP denoiser:
   * measured 132 -> 259 CPU ms per step from 1 to 2 workers); an explicit count still works.
   * @defaultValue true
   */
  readonly autoWorkers?: boolean;
}

/** What {@link PreferenceTrainerBase.precomputeReferenceScores} did. */
export interface ReferencePrecomputation {
  /** Pairs scored by the reference model now. */
  readonly computed: number;
  /** Pairs whose scores were already kept (from the file, or an earlier call). */
  readonly reused: number;
  /** Reference forward passes run (one per batch with a missing pair). */
  readonly batches: number;
}

/**
 * The DPO trainer every modality shares, written once: reference ownership (a copy it made is
 * disposed with it), reference scores from the frozen model, an on-disk cache or an in-memory
 * one (`precomputeRefLogProbs`), their precomputation, `trainStep` / `evaluate` through core's
 * {@link PreferenceTrainer}, `train()` through `runTrainerLoop` (progress with pairs/s, ETA,
 * evaluation, checkpoints tagged with the trainer's kind, resume), and checkpoint content.
 *
 * A modality (lm's `DPOTrainer`, diffusion's `DiffusionDPOTrainer`) extends it with only what
 * is its own: how its config and data are resolved in `create`, its scorer and batches, and
 * its metrics (see {@link PreferenceTrainerParts}).
 *
 * Tensors: only variables and optimiser state live across steps; {@link dispose} frees the
 * optimiser state and a reference copy the trainer made.
 */
export abstract class PreferenceTrainerBase<
  TModel extends Checkpointable,
  TBatch,
  TConfig extends ResolvedPreferenceRunConfig,
> {
  /** The resolved config the trainer runs with (from the modality's `create`); frozen. */
  readonly config: TConfig;
  /** The policy model being trained, updated in place; the caller's, not disposed by {@link dispose}. */
  readonly model: TModel;
  /** The reference model, or undefined when reference-free. */
  readonly referenceModel: TModel | undefined;
  /** Where precomputed reference scores are kept (`precomputeRefLogProbs`), else undefined. */
  readonly referenceCache: ReferenceScoreStore | undefined;
  /** Core's generic trainer that does the optimisation. */
  readonly preferenceTrainer: PreferenceTrainer<TBatch>;
  private readonly kind: string;
  private readonly modelConfig: JsonValue | undefined;
  private readonly reference: PreparedReference<TModel>;
  private readonly numPairs: (batch: TBatch) => number;
  private readonly workerScorer: ParallelTaskSpec | undefined;
  private readonly workerReferenceScorer: ParallelTaskSpec | undefined;
  private readonly autoWorkers: boolean;

  /**
   * Wires the modality's parts into core's {@link PreferenceTrainer}: the reference source
   * (none, the frozen model, or the model behind a score cache), the optimiser and the metrics.
   * The trainer owns what `parts.reference` says it owns (a reference copy it made) and the
   * optimiser state; {@link dispose} frees both. The policy model stays the caller's.
   * @throws InvalidArgumentError when `config.workers` > 1 and the modality gives no `workerScorer`.
   */
  protected constructor(parts: PreferenceTrainerParts<TModel, TBatch, TConfig>) {
    this.kind = parts.kind;
    this.modelConfig = parts.modelConfig;
    this.config = parts.config;
    this.model = parts.model;
    this.reference = parts.reference;
    this.referenceModel = parts.reference.model;
    this.referenceCache = parts.reference.cache;
    this.numPairs = parts.numPairs;
    this.workerScorer = parts.workerScorer;
    this.workerReferenceScorer = parts.workerReferenceScorer;
    this.autoWorkers = parts.autoWorkers ?? true;
    assertPreferenceWorkers(parts.config, parts.workerScorer);
    let source: ReferenceSource<TBatch> = { kind: 'none' };
    if (parts.referenceScorer !== undefined) {
      source =
        this.referenceCache !== undefined
          ? { kind: 'cache', cache: this.referenceCache, keys: parts.keys, scorer: parts.referenceScorer }
          : { kind: 'model', scorer: parts.referenceScorer };
    }
    this.preferenceTrainer = new PreferenceTrainer<TBatch>({
      policy: parts.policyScorer,
      reference: source,
      config: parts.config,
      batchSize: parts.numPairs,
      ...(parts.pairMetrics !== undefined ? { pairMetrics: parts.pairMetrics } : {}),
    });
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  abstract batchesForStep(stepIndex: number): TBatch[];

  /** The evaluation batches (the eval dataset in the modality's batches), or undefined without one. */
  protected abstract defaultEvalBatches(): Iterable<TBatch> | undefined;

  /** Every train and eval pair, in batches of `precomputeRefBatchSize`, keyed as the training batches are. */
  protected abstract precomputeBatches(): Iterable<TBatch>;

  /** Epochs completed after `completedSteps` optimiser steps (TRL's `epoch`). */
  protected abstract epochAfter(completedSteps: number): number;

  /** Metrics shown on progress lines. */
  protected abstract readonly headlineMetrics: readonly string[];

  /** Tokens of a batch for `train_tokens_per_second`, or undefined where tokens mean nothing. */
  protected tokensOf(batch: TBatch): number | undefined {
    void batch;
    return undefined;
  }

  /** Runs step `stepIndex` inside the modality's per-step state (lm: the dropout stream). */
  protected runStep<T>(stepIndex: number, run: () => Promise<T>): Promise<T> {
    void stepIndex;
    return run();
  }

  /**
   * Scores every train and eval pair missing from the reference cache with the reference model
   * and saves the cache file (a no-op in memory). Nothing to do without `precomputeRefLogProbs`.
   */
  async precomputeReferenceScores(): Promise<ReferencePrecomputation> {
    const source = this.preferenceTrainer.reference;
    if (source.kind !== 'cache') return { computed: 0, reused: 0, batches: 0 };
    let computed = 0;
    let reused = 0;
    let batches = 0;
    for (const batch of this.precomputeBatches()) {
      const missing = source.cache.missing(source.keys(batch)).length;
      reused += this.numPairs(batch) - missing;
      if (missing === 0) continue;
      disposePairScores(await referenceScores(source, batch));
      computed += missing;
      batches += 1;
    }
    await source.cache.save();
    return { computed, reused, batches };
  }

  /**
   * One optimiser step on `batches` (micro-batches of one step; gradients averaged), 0-based
   * `stepIndex`. Returns TRL's metrics (`loss`, `grad_norm`, `learning_rate`, `rewards/*`,
   * `logps/*`, `logits/*`), the modality's own, and `epoch`.
   */
  async trainStep(batches: TBatch | readonly TBatch[], stepIndex: number): Promise<Metrics> {
    const metrics = await this.runStep(stepIndex, () => this.preferenceTrainer.trainStep(batches, stepIndex));
    return { ...metrics, [METRIC_NAMES.epoch]: this.epochAfter(stepIndex + 1) };
  }

  /**
   * Loss and every metric over `batches` (default: the eval dataset), means weighted by pairs;
   * no dropout, no weight change. Keys carry TRL's `eval_` prefix (`eval_loss`,
   * `eval_rewards/accuracies`, ...; {@link evalPrefixed}), as `train()`'s periodic evaluation logs them.
   */
  async evaluate(batches?: Iterable<TBatch>): Promise<Metrics> {
    const source = batches ?? this.defaultEvalBatches();
    if (source === undefined)
      throw new InvalidArgumentError(
        'batches',
        `batches, or an evalDataset given to ${this.constructor.name}.create`,
        undefined,
      );
    return evalPrefixed(await this.preferenceTrainer.evaluate(source));
  }

  /** Policy weights, optimiser and loss state, the reference weights under TR-DPO, and the trainer's kind. */
  async checkpointContent(): Promise<CheckpointContent> {
    const content = await this.preferenceTrainer.checkpointContent();
    return { ...content, metadata: { trainer: this.kind, ...(content.metadata as Record<string, never>) } };
  }

  /** Restores what {@link checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    this.preferenceTrainer.restore(checkpoint);
  }

  /**
   * Precomputes reference scores when configured (one line through the progress channel), then
   * trains for `config.totalSteps` steps through core's `runTrainerLoop` (progress with pairs/s
   * and ETA, evaluation every `evalSteps`, checkpoints every `saveSteps`, resume, NaN guard,
   * leak check). Step metrics add `train_samples_per_second` (pairs) and, where the modality
   * counts tokens, `train_tokens_per_second`.
   *
   * Workers: with `config.workers` resolving to N > 1 (capped by `gradientAccumulationSteps`),
   * each step's micro-batches are computed on N worker threads holding replicas of the policy
   * scorer (`workerScorer`); with a reference model and a `workerReferenceScorer`, each worker
   * also holds a frozen reference replica and scores its own micro-batches (else reference
   * scores are computed or read from the cache on the main thread and travel with each
   * micro-batch as host arrays); gradients are summed in micro-batch
   * order, so the weights do not depend on N beyond float32 summation (bit-identical for a
   * given N). The pool lives for this call.
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    const automatic = this.config.workers === 'auto';
    const started =
      automatic && !this.autoWorkers
        ? undefined
        : await createPreferenceEngine(this.preferenceTrainer, this.workerScorer, this.workerReferenceScorer);
    this.preferenceTrainer.engine = started?.engine;
    this.preferenceTrainer.referenceOnReplicas = started?.referenceOnReplicas ?? false;
    try {
      return await this.trainLoop(options);
    } finally {
      this.preferenceTrainer.engine = undefined;
      this.preferenceTrainer.referenceOnReplicas = false;
      await started?.engine.close();
    }
  }

  private async trainLoop(options: TrainOptions): Promise<TrainingLoopResult> {
    const cache = this.referenceCache;
    if (cache !== undefined) {
      const done = await this.precomputeReferenceScores();
      reportLine(
        options.progress,
        `reference scores: ${done.computed} pairs computed, ${done.reused} reused (cache ${cache.status}, ${cache.file ?? 'memory'}${cache.invalidation !== undefined ? `; ${cache.invalidation}` : ''})`,
      );
    }
    const throughput = new Throughput();
    const hasEval = this.defaultEvalBatches() !== undefined;
    return runTrainerLoop(
      {
        ...trainingArgumentsLoop(this.config, this.headlineMetrics),
        step: async (stepIndex) => {
          const batches = this.batchesForStep(stepIndex);
          const metrics = await this.trainStep(batches, stepIndex);
          const pairs = batches.reduce((sum, batch) => sum + this.numPairs(batch), 0);
          const tokens = batches.map((batch) => this.tokensOf(batch));
          const counted = tokens.every((n) => n !== undefined);
          const rates = throughput.add(pairs, counted ? tokens.reduce((a: number, b) => a + b!, 0) : 0);
          return {
            ...metrics,
            [METRIC_NAMES.trainSamplesPerSecond]: rates.samplesPerSecond,
            ...(counted ? { [METRIC_NAMES.trainTokensPerSecond]: rates.tokensPerSecond } : {}),
          };
        },
        evaluate: hasEval ? () => this.evaluate() : undefined,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: this.kind,
        modelConfig: this.modelConfig,
      },
      options,
    );
  }

  /** Frees the optimiser state and the reference copy the trainer made (not the caller's models). */
  dispose(): void {
    this.preferenceTrainer.dispose();
    this.reference.dispose();
  }
}
