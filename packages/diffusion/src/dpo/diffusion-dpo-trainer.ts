import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  METRIC_NAMES,
  PreferenceTrainer,
  epochsCompleted,
  mixSeeds,
  referenceScores,
  runTrainerLoop,
  stepBatchOptions,
  stepMicroBatches,
  Throughput,
  trainingArgumentsLoop,
  type CheckpointContent,
  type LoadedCheckpoint,
  type Metrics,
  type ReferenceScoreCache,
  type ReferenceSource,
  type TrainingLoopResult,
  type TrainOptions,
} from '@dpo-ts/core';
import type { Denoiser } from '../denoiser.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { resolveDiffusionDPOConfig, type DiffusionDPOConfig, type ResolvedDiffusionDPOConfig } from './diffusion-dpo-config.js';
import { DiffusionDPOMetrics, readErrorRecords } from './diffusion-dpo-metrics.js';
import { buildDiffusionPreferenceBatch, orderedPreferenceBatches, type DiffusionPreferenceBatch } from './diffusion-preference-batch.js';
import { DiffusionPreferenceScorer } from './diffusion-preference-scorer.js';
import { frozenReference } from './diffusion-reference.js';
import { openDiffusionReferenceCache } from './diffusion-reference-cache.js';
import { validateImagePreferenceDataset, type ImagePreferenceDataset } from './image-preference-dataset.js';
import { timestepBuckets, type TimestepBuckets } from './timestep-buckets.js';

/** What a {@link DiffusionDPOTrainer} trains, against what, on what. */
export interface DiffusionDPOTrainerOptions {
  /** The policy; its weights are optimised in place. */
  readonly model: Denoiser;
  /**
   * The frozen reference; its variables are marked `trainable: false`. Not disposed by the
   * trainer. A separate denoiser: passing `model` itself is refused (it would freeze the policy).
   * @defaultValue a clone of `model` (cloneDenoiser), disposed with the trainer
   */
  readonly referenceModel?: Denoiser;
  readonly schedule: NoiseSchedule;
  readonly trainDataset: ImagePreferenceDataset;
  /** Held-out pairs for {@link DiffusionDPOTrainer.evaluate}, scored with fixed draws and no label dropout. */
  readonly evalDataset?: ImagePreferenceDataset;
  readonly config: DiffusionDPOConfig;
  /** With `precomputeRefLogProbs`: the JSON file keeping reference scores across runs. Omitted: in memory. */
  readonly referenceCacheFile?: string;
}

/** What {@link DiffusionDPOTrainer.precomputeReferenceScores} did. */
export interface DiffusionReferencePrecomputation {
  /** Pairs scored by the reference now. */
  readonly computed: number;
  /** Pairs already in the cache. */
  readonly reused: number;
}

const EVAL_SEED_SALT = 0x65766131;

/**
 * Diffusion-DPO (Wallace et al. 2023): core's `PreferenceTrainer` with the
 * {@link DiffusionPreferenceScorer}. With the sigmoid loss, per pair
 *
 *   loss = -log sigmoid(-beta * 0.5 * ((mse_w - mse_ref_w) - (mse_l - mse_ref_l)))     (Eq. 14)
 *
 * with mse_w = mean (eps - eps_theta(x_w,t, t, c))^2 at one (t, eps) shared by the pair and by
 * policy and reference. Every loss of core's registry works on the same scores. The reference is
 * a frozen model run every step, scores precomputed once and cached (`precomputeRefLogProbs`,
 * fixed draws per pair), or none (`referenceFree`).
 *
 * Metrics (training steps and evaluation): core's `loss`, `rewards/*`, `logps/*`; `implicit_acc`
 * (the official name of `rewards/accuracies`); `mse/model_*` and `mse/ref_*`; accuracy and
 * margin per timestep bucket (`rewards/accuracies/t000-199`, ...); `epoch`, `grad_norm`,
 * `learning_rate`, and `train_samples_per_second` (pairs) in `train()`.
 *
 * Reproducibility: step i's pairs depend on (seed, i) only, and each pair's draws on
 * (seed, epoch or 0, pair index): a resumed run is bit-identical.
 * Tensors: only weights and optimiser state live across steps; {@link DiffusionDPOTrainer.dispose}
 * frees the optimiser state and a reference the trainer cloned.
 *
 * @see Wallace et al. 2023, Eq. 14; SalesforceAIResearch/DiffusionDPO `train.py`.
 * @example
 * const trainer = await DiffusionDPOTrainer.create({ model, schedule, trainDataset, evalDataset,
 *   config: { totalSteps: 300, learningRate: 5e-5, evalSteps: 100 } });
 * await trainer.train({ checkpointDir: 'runs/diffusion-dpo', resume: 'auto' });
 * trainer.dispose();
 */
export class DiffusionDPOTrainer {
  readonly config: ResolvedDiffusionDPOConfig;
  readonly model: Denoiser;
  /** The reference, or undefined when reference-free. */
  readonly referenceModel: Denoiser | undefined;
  readonly schedule: NoiseSchedule;
  readonly trainDataset: ImagePreferenceDataset;
  readonly evalDataset: ImagePreferenceDataset | undefined;
  readonly referenceCache: ReferenceScoreCache | undefined;
  readonly buckets: TimestepBuckets;
  /** Core's generic trainer that does the optimisation. */
  readonly preferenceTrainer: PreferenceTrainer<DiffusionPreferenceBatch>;
  private readonly policyScorer: DiffusionPreferenceScorer;
  private readonly referenceScorer: DiffusionPreferenceScorer | undefined;
  private readonly ownsReference: boolean;
  private readonly persistCache: boolean;

  private constructor(options: DiffusionDPOTrainerOptions, config: ResolvedDiffusionDPOConfig, referenceModel: Denoiser | undefined, cache: ReferenceScoreCache | undefined) {
    this.config = config;
    this.model = options.model;
    this.referenceModel = referenceModel;
    this.ownsReference = referenceModel !== undefined && options.referenceModel === undefined;
    this.schedule = options.schedule;
    this.trainDataset = options.trainDataset;
    this.evalDataset = options.evalDataset;
    this.referenceCache = cache;
    this.persistCache = options.referenceCacheFile !== undefined;
    this.buckets = timestepBuckets(this.schedule.numTimesteps, config.numTimestepBuckets);
    this.policyScorer = new DiffusionPreferenceScorer(this.model, this.schedule, { scale: config.scoreScale });
    this.referenceScorer = referenceModel === undefined ? undefined : new DiffusionPreferenceScorer(referenceModel, this.schedule, { scale: config.scoreScale, trainable: false });
    let reference: ReferenceSource<DiffusionPreferenceBatch> = { kind: 'none' };
    if (this.referenceScorer !== undefined) {
      reference = cache !== undefined ? { kind: 'cache', cache, keys: (batch) => batch.keys, scorer: this.referenceScorer } : { kind: 'model', scorer: this.referenceScorer };
    }
    this.preferenceTrainer = new PreferenceTrainer({ policy: this.policyScorer, reference, config: config.preference, batchSize: (batch) => batch.numPairs });
  }

  /**
   * Validates config and data, prepares the reference (a frozen clone unless given; none when
   * `referenceFree`) and, with `precomputeRefLogProbs`, opens the reference-score cache.
   */
  static async create(options: DiffusionDPOTrainerOptions): Promise<DiffusionDPOTrainer> {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
    const { model, schedule } = options;
    const config = resolveDiffusionDPOConfig(options.config, model, schedule.numTimesteps);
    validateImagePreferenceDataset('options.trainDataset', options.trainDataset, model.imageShape, model.numClasses + 1);
    if (options.evalDataset !== undefined) validateImagePreferenceDataset('options.evalDataset', options.evalDataset, model.imageShape, model.numClasses + 1);
    if (options.referenceCacheFile !== undefined && !config.precomputeRefLogProbs) {
      throw new InvalidArgumentError('options.referenceCacheFile', 'given only with config.precomputeRefLogProbs: true', options.referenceCacheFile);
    }
    const referenceModel = frozenReference(model, options.referenceModel, config.preference.loss.referenceFree);
    let cache: ReferenceScoreCache | undefined;
    if (config.precomputeRefLogProbs && referenceModel !== undefined) {
      const key = { reference: referenceModel, schedule, trainDataset: options.trainDataset, seed: config.seed, cfgDropProb: config.cfgDropProb, scoreScale: config.scoreScale };
      try {
        cache = await openDiffusionReferenceCache(options.evalDataset === undefined ? key : { ...key, evalDataset: options.evalDataset }, options.referenceCacheFile);
      } catch (error) {
        // The default reference is our clone: nobody else will dispose it.
        if (options.referenceModel === undefined) referenceModel.dispose();
        throw error;
      }
    }
    return new DiffusionDPOTrainer(options, config, referenceModel, cache);
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  batchesForStep(stepIndex: number): DiffusionPreferenceBatch[] {
    return stepMicroBatches(this.trainDataset.count, stepBatchOptions(this.config), stepIndex).map(({ epoch, indices }) =>
      buildDiffusionPreferenceBatch(this.trainDataset, indices, {
        seed: this.config.seed,
        round: this.config.fixedNoise ? 0 : epoch + 1,
        numTimesteps: this.schedule.numTimesteps,
        cfgDropProb: this.config.cfgDropProb,
        nullClass: this.model.nullClass,
        keyPrefix: 'train/',
      }),
    );
  }

  /** The eval pairs in batches of `perDeviceEvalBatchSize`, fixed draws, no label dropout. */
  evalBatches(): DiffusionPreferenceBatch[] {
    if (this.evalDataset === undefined) return [];
    const draws = { seed: mixSeeds(this.config.seed, EVAL_SEED_SALT), round: 0, numTimesteps: this.schedule.numTimesteps, cfgDropProb: 0, nullClass: this.model.nullClass, keyPrefix: 'eval/' };
    return orderedPreferenceBatches(this.evalDataset, this.config.perDeviceEvalBatchSize, draws);
  }

  /** Scores every train and eval pair missing from the cache, and saves the file when there is one. */
  async precomputeReferenceScores(): Promise<DiffusionReferencePrecomputation> {
    const cache = this.referenceCache;
    if (cache === undefined) return { computed: 0, reused: 0 };
    let computed = 0;
    let reused = 0;
    // The same fixed draws (round 0) as the training batches of a fixedNoise run.
    const trainBatches = orderedPreferenceBatches(this.trainDataset, this.config.precomputeRefBatchSize, {
      seed: this.config.seed, round: 0, numTimesteps: this.schedule.numTimesteps, cfgDropProb: this.config.cfgDropProb, nullClass: this.model.nullClass, keyPrefix: 'train/',
    });
    for (const batch of [...trainBatches, ...this.evalBatches()]) {
      const missing = cache.missing(batch.keys).length;
      reused += batch.numPairs - missing;
      if (missing === 0) continue;
      const scores = await referenceScores(this.preferenceTrainer.reference, batch);
      if (scores !== null) tf.dispose([scores.chosen, scores.rejected]);
      computed += missing;
    }
    if (this.persistCache) await cache.save();
    return { computed, reused };
  }

  /**
   * One optimiser step on `batches` (micro-batches, gradients averaged), 0-based `stepIndex`.
   * Returns core's metrics plus `implicit_acc`, `mse/*`, per-bucket accuracy and margin, `epoch`.
   */
  async trainStep(batches: DiffusionPreferenceBatch | readonly DiffusionPreferenceBatch[], stepIndex: number): Promise<Metrics> {
    const list = (Array.isArray(batches) ? batches : [batches]) as readonly DiffusionPreferenceBatch[];
    const metrics = await this.withRecords(list, () => this.preferenceTrainer.trainStep(list, stepIndex));
    return { ...metrics, [METRIC_NAMES.epoch]: epochsCompleted(this.trainDataset.count, stepBatchOptions(this.config), stepIndex + 1) };
  }

  /** Loss and every metric over `batches` (default: the eval dataset), weighted by pairs; no weight change. */
  async evaluate(batches?: readonly DiffusionPreferenceBatch[]): Promise<Metrics> {
    if (batches === undefined && this.evalDataset === undefined) throw new InvalidArgumentError('batches', 'batches, or an evalDataset given to DiffusionDPOTrainer.create', undefined);
    const list = batches ?? this.evalBatches();
    return this.withRecords(list, () => this.preferenceTrainer.evaluate(list));
  }

  /** Policy weights, optimiser and loss state, and the reference weights under TR-DPO. */
  async checkpointContent(): Promise<CheckpointContent> {
    const content = await this.preferenceTrainer.checkpointContent();
    return { ...content, metadata: { trainer: 'diffusion-dpo', ...(content.metadata as Record<string, never>) } };
  }

  /** Restores what {@link DiffusionDPOTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    this.preferenceTrainer.restore(checkpoint);
  }

  /**
   * Precomputes reference scores when configured, then trains `totalSteps` steps through core's
   * `runTrainingLoop` (progress with pairs/s and ETA, evaluation every `evalSteps`, checkpoints
   * every `saveSteps` in `checkpointDir`, resume, NaN guard, leak check).
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    if (this.referenceCache !== undefined) {
      const done = await this.precomputeReferenceScores();
      if (options.progress !== false) {
        process.stderr.write(`reference scores: ${done.computed} pairs computed, ${done.reused} reused (cache ${this.referenceCache.status}, ${this.persistCache ? this.referenceCache.file : 'memory'})\n`);
      }
    }
    const throughput = new Throughput();
    return runTrainerLoop(
      {
        ...trainingArgumentsLoop(this.config, [METRIC_NAMES.loss, METRIC_NAMES.implicitAcc, METRIC_NAMES.rewardsMargins, METRIC_NAMES.mseModelChosen, METRIC_NAMES.gradNorm, METRIC_NAMES.trainSamplesPerSecond]),
        step: async (stepIndex) => {
          const batches = this.batchesForStep(stepIndex);
          const metrics = await this.trainStep(batches, stepIndex);
          return { ...metrics, [METRIC_NAMES.trainSamplesPerSecond]: throughput.add(batches.reduce((n, b) => n + b.numPairs, 0)).samplesPerSecond };
        },
        evaluate: this.evalDataset !== undefined ? () => this.evaluate() : undefined,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
      },
      options,
    );
  }

  /** Frees the optimiser state and a reference the trainer cloned (not the caller's models). */
  dispose(): void {
    this.preferenceTrainer.dispose();
    if (this.ownsReference) this.referenceModel?.dispose();
  }

  /** Runs `run` with error recording on, then adds the diffusion metrics of `batches`. */
  private async withRecords(batches: readonly DiffusionPreferenceBatch[], run: () => Promise<Metrics>): Promise<Metrics> {
    const recordReference = this.preferenceTrainer.reference.kind === 'model';
    this.policyScorer.recordErrors(true);
    this.referenceScorer?.recordErrors(recordReference);
    try {
      const metrics = await run();
      const policy = await readErrorRecords(this.policyScorer.takeRecords());
      const reference = recordReference ? await readErrorRecords(this.referenceScorer!.takeRecords()) : this.cachedErrors(batches);
      const accumulator = new DiffusionDPOMetrics(this.config.preference.loss.beta, this.config.scoreScale, this.buckets);
      let offset = 0;
      for (const batch of batches) {
        const slice = (a: Float32Array): Float32Array => a.subarray(offset, offset + batch.numPairs);
        await accumulator.add({
          policyChosen: slice(policy.chosen),
          policyRejected: slice(policy.rejected),
          ...(reference !== undefined ? { referenceChosen: slice(reference.chosen), referenceRejected: slice(reference.rejected) } : {}),
          timesteps: batch.timesteps,
        });
        offset += batch.numPairs;
      }
      return { ...metrics, [METRIC_NAMES.implicitAcc]: metrics[METRIC_NAMES.rewardsAccuracies]!, ...accumulator.metrics() };
    } finally {
      this.policyScorer.recordErrors(false);
      this.referenceScorer?.recordErrors(false);
    }
  }

  /** Reference errors of `batches` from the cache (mse = -score / scale), or undefined without one. */
  private cachedErrors(batches: readonly DiffusionPreferenceBatch[]): { chosen: Float32Array; rejected: Float32Array } | undefined {
    const cache = this.referenceCache;
    if (cache === undefined || this.preferenceTrainer.reference.kind !== 'cache') return undefined;
    const keys = batches.flatMap((batch) => batch.keys);
    const entries = keys.map((key) => cache.get(key)!);
    return {
      chosen: Float32Array.from(entries, (e) => -e.chosen / this.config.scoreScale),
      rejected: Float32Array.from(entries, (e) => -e.rejected / this.config.scoreScale),
    };
  }
}
