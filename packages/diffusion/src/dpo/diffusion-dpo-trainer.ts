import { InvalidArgumentError, METRIC_NAMES } from '@dpo-ts/core';
import { mixSeeds, stepBatchOptions, withTrainSteps } from '@dpo-ts/core/training';
import { PreferenceTrainerBase, prepareReference, type PreparedReference } from '@dpo-ts/core/preference';
import { epochsCompleted, stepMicroBatches } from '@dpo-ts/core/data';
import type { Denoiser } from '../denoiser.js';
import { denoiserArchitecture } from '../denoiser-architecture.js';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { loadDiffusionModel, saveDiffusionModel, type SavedDiffusionModel } from '../saved-diffusion-model.js';
import {
  resolveDiffusionDPOConfig,
  type DiffusionDPOConfig,
  type ResolvedDiffusionDPOConfig,
} from './diffusion-dpo-config.js';
import { denoiserPreferenceScorerSpec } from './denoiser-preference-scorer.js';
import { diffusionPairMetrics } from './diffusion-dpo-metrics.js';
import {
  buildDiffusionPreferenceBatch,
  orderedPreferenceBatches,
  type DiffusionPreferenceBatch,
} from './diffusion-preference-batch.js';
import { DiffusionPreferenceScorer } from './diffusion-preference-scorer.js';
import { diffusionReferenceFingerprint } from './diffusion-reference-cache.js';
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
  /**
   * The forward-noising schedule (betas, alpha-bars over T timesteps) the denoising errors are computed under; the same for policy and reference.
   */
  readonly schedule: NoiseSchedule;
  /** The training pairs: images `[count, h, w, c]` in [-1, 1] with one class label per pair. */
  readonly trainDataset: ImagePreferenceDataset;
  /** Held-out pairs for {@link DiffusionDPOTrainer.evaluate}, scored with fixed draws and no label dropout. */
  readonly evalDataset?: ImagePreferenceDataset;
  /** The Diffusion-DPO settings, resolved once by {@link DiffusionDPOTrainer.create} against the denoiser. */
  readonly config: DiffusionDPOConfig;
  /** With `precomputeRefLogProbs`: the JSON file keeping reference scores across runs. Omitted: in memory. */
  readonly referenceCacheFile?: string;
}

const EVAL_SEED_SALT = 0x65766131;

/**
 * Diffusion-DPO (Wallace et al. 2023): core's `PreferenceTrainerBase` (reference,
 * cache, precomputation, loop, checkpoints) with the {@link DiffusionPreferenceScorer}. With the sigmoid loss, per pair
 *
 *   loss = -log sigmoid(-beta * 0.5 * ((mse_w - mse_ref_w) - (mse_l - mse_ref_l)))     (Eq. 14)
 *
 * with mse_w = mean (eps - eps_theta(x_w,t, t, c))^2 at one (t, eps) shared by the pair and by
 * policy and reference. Every loss of core's registry works on the same scores. The reference is
 * a frozen model run every step, scores precomputed once and cached (`precomputeRefLogProbs`,
 * fixed draws per pair), or none (`referenceFree`).
 *
 * Metrics (training steps and evaluation): core's `loss`, `rewards/*` (`rewards/accuracies` is
 * the official code's `implicit_acc`), `logps/*`, `logits/*`; `mse/model_*` and `mse/ref_*`, from
 * the per-pair errors that travel with the scores; accuracy and
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
 * ```ts
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { DiffusionDPOTrainer, loadImagePreferenceJsonl } from '@dpo-ts/diffusion';
 *
 * await selectBackend();
 * const { model, schedule } = await DiffusionDPOTrainer.load('runs/mnist-sft/model'); // e.g. what DiffusionSFTTrainer.save wrote
 * const trainer = await DiffusionDPOTrainer.create({
 *   model, // the policy; the reference is a frozen clone of it
 *   schedule,
 *   trainDataset: await loadImagePreferenceJsonl('pairs.jsonl', [28, 28, 1]), // { prompt: label, chosen: PNG, rejected: PNG }
 *   evalDataset: await loadImagePreferenceJsonl('held-out.jsonl', [28, 28, 1]),
 *   config: { totalSteps: 300, beta: 5000, learningRate: 1e-5, evalSteps: 100 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/diffusion-dpo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_rewards/accuracies (also per timestep bucket), eval_mse/model_chosen, ...
 * await trainer.save('runs/diffusion-dpo/model');
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class DiffusionDPOTrainer extends PreferenceTrainerBase<
  Denoiser,
  DiffusionPreferenceBatch,
  ResolvedDiffusionDPOConfig
> {
  /** {@inheritDoc DiffusionDPOTrainerOptions.schedule} */
  readonly schedule: NoiseSchedule;
  /** {@inheritDoc DiffusionDPOTrainerOptions.trainDataset} */
  readonly trainDataset: ImagePreferenceDataset;
  /** The held-out pairs {@link DiffusionDPOTrainer.evaluate} scores, or undefined without an `evalDataset`. */
  readonly evalDataset: ImagePreferenceDataset | undefined;
  /** The `numTimestepBuckets` equal-width timestep buckets of the per-bucket accuracy and margin metrics. */
  readonly buckets: TimestepBuckets;
  protected readonly headlineMetrics = [
    METRIC_NAMES.loss,
    METRIC_NAMES.rewardsAccuracies,
    METRIC_NAMES.rewardsMargins,
    METRIC_NAMES.mseModelChosen,
    METRIC_NAMES.gradNorm,
    METRIC_NAMES.trainSamplesPerSecond,
  ];

  private constructor(
    options: DiffusionDPOTrainerOptions,
    config: ResolvedDiffusionDPOConfig,
    reference: PreparedReference<Denoiser>,
  ) {
    const buckets = timestepBuckets(options.schedule.numTimesteps, config.numTimestepBuckets);
    super({
      kind: 'diffusion-dpo',
      modelConfig: denoiserArchitecture(options.model),
      config,
      model: options.model,
      reference,
      policyScorer: new DiffusionPreferenceScorer(options.model, options.schedule, { scale: config.scoreScale }),
      referenceScorer:
        reference.model === undefined
          ? undefined
          : new DiffusionPreferenceScorer(reference.model, options.schedule, {
              scale: config.scoreScale,
              trainable: false,
            }),
      keys: (batch) => batch.keys,
      numPairs: (batch) => batch.numPairs,
      pairMetrics: diffusionPairMetrics(config.loss.beta, config.scoreScale, buckets),
      workerScorer: denoiserPreferenceScorerSpec({
        kind: options.model.kind,
        denoiser: options.model.config,
        schedule: options.schedule.config,
        scale: config.scoreScale,
      }),
      // Each worker scores its micro-batches with its own frozen reference replica.
      ...(reference.model === undefined
        ? {}
        : {
            workerReferenceScorer: denoiserPreferenceScorerSpec({
              kind: reference.model.kind,
              denoiser: reference.model.config,
              schedule: options.schedule.config,
              scale: config.scoreScale,
            }),
          }),
      // Too little work per weight in a micro-batch for 'auto' (measured: +96% CPU time on 2
      // workers at 16 pairs per micro-batch); an explicit count still runs workers.
      autoWorkers: false,
    });
    this.schedule = options.schedule;
    this.trainDataset = options.trainDataset;
    this.evalDataset = options.evalDataset;
    this.buckets = buckets;
  }

  /**
   * Saves the policy as trained so far (the `saveDenoiser` files, `schedule.json` and
   * `trainer.json` with this config and step) to `dir`, atomically: a failed save leaves a
   * previous model in `dir` intact. {@link DiffusionDPOTrainer.load} reads it back.
   */
  async save(dir: string): Promise<void> {
    await saveDiffusionModel(dir, {
      kind: 'diffusion-dpo',
      model: this.model,
      schedule: this.schedule,
      trainerConfig: this.config,
      step: this.preferenceTrainer.optimizer.step,
    });
  }

  /**
   * Reads a model saved by a diffusion trainer's `save(dir)` ({@link loadDiffusionModel}): the
   * denoiser and its schedule, to sample from or to start the next stage. The caller disposes
   * the returned model.
   */
  static load(dir: string): Promise<SavedDiffusionModel> {
    return loadDiffusionModel(dir);
  }

  /**
   * Validates config and data, prepares the reference (a frozen clone unless given; none when
   * `referenceFree`) and, with `precomputeRefLogProbs`, the reference-score cache: on disk with
   * `referenceCacheFile` (under {@link diffusionReferenceFingerprint}), else in memory.
   */
  static async create(options: DiffusionDPOTrainerOptions): Promise<DiffusionDPOTrainer> {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'an object', options);
    const { model, schedule } = options;
    validateImagePreferenceDataset(
      'options.trainDataset',
      options.trainDataset,
      model.imageShape,
      model.numClasses + 1,
    );
    const config = withTrainSteps(
      resolveDiffusionDPOConfig(options.config, model, schedule.numTimesteps),
      options.trainDataset.count,
    );
    if (options.evalDataset !== undefined)
      validateImagePreferenceDataset(
        'options.evalDataset',
        options.evalDataset,
        model.imageShape,
        model.numClasses + 1,
      );
    const reference = await prepareReference<Denoiser>({
      model,
      referenceModel: options.referenceModel,
      referenceFree: config.loss.referenceFree,
      clone: cloneDenoiser,
      separateReference: 'a separate denoiser (cloneDenoiser(model))',
      precompute: config.precomputeRefLogProbs,
      cacheFile: options.referenceCacheFile,
      fingerprint: (referenceModel) =>
        diffusionReferenceFingerprint({
          reference: referenceModel,
          schedule,
          trainDataset: options.trainDataset,
          ...(options.evalDataset !== undefined ? { evalDataset: options.evalDataset } : {}),
          seed: config.seed,
          cfgDropProb: config.cfgDropProb,
          scoreScale: config.scoreScale,
        }),
    });
    try {
      return new DiffusionDPOTrainer(options, config, reference);
    } catch (error) {
      reference.dispose();
      throw error;
    }
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  batchesForStep(stepIndex: number): DiffusionPreferenceBatch[] {
    return stepMicroBatches(this.trainDataset.count, stepBatchOptions(this.config), stepIndex).map(
      ({ epoch, indices }) =>
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
    const draws = {
      seed: mixSeeds(this.config.seed, EVAL_SEED_SALT),
      round: 0,
      numTimesteps: this.schedule.numTimesteps,
      cfgDropProb: 0,
      nullClass: this.model.nullClass,
      keyPrefix: 'eval/',
    };
    return orderedPreferenceBatches(this.evalDataset, this.config.perDeviceEvalBatchSize, draws);
  }

  protected defaultEvalBatches(): DiffusionPreferenceBatch[] | undefined {
    return this.evalDataset === undefined ? undefined : this.evalBatches();
  }

  /** The train pairs with the fixed draws (round 0) of a fixedNoise run, then the eval batches. */
  protected precomputeBatches(): DiffusionPreferenceBatch[] {
    const trainBatches = orderedPreferenceBatches(this.trainDataset, this.config.precomputeRefBatchSize, {
      seed: this.config.seed,
      round: 0,
      numTimesteps: this.schedule.numTimesteps,
      cfgDropProb: this.config.cfgDropProb,
      nullClass: this.model.nullClass,
      keyPrefix: 'train/',
    });
    return [...trainBatches, ...this.evalBatches()];
  }

  protected epochAfter(completedSteps: number): number {
    return epochsCompleted(this.trainDataset.count, stepBatchOptions(this.config), completedSteps);
  }
}
