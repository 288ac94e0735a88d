import { InvalidArgumentError, METRIC_NAMES, requireBoolean } from '@dpo-ts/core';
import { mixSeeds, stepBatchOptions, type JsonValue } from '@dpo-ts/core/training';
import {
  PreferenceTrainerBase,
  backendFingerprint,
  fingerprintJson,
  fingerprintVariables,
  prepareReference,
  type PreparedReference,
} from '@dpo-ts/core/preference';
import { epochsCompleted, stepMicroBatches } from '@dpo-ts/core/data';
import type { NoiseSchedule } from '../noise-schedule.js';
import type { ScaledAutoencoder } from '../text-to-image/autoencoder-checkpoint.js';
import type { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import {
  loadTextToImageTrainedModel,
  saveTextToImageTrainedModel,
  type SavedTextToImageModel,
} from '../text-to-image/saved-text-to-image-model.js';
import {
  fingerprintCaptionLatentPreferences,
  validateCaptionLatentPreferences,
  type CaptionLatentPreferences,
} from './caption-latent-preferences.js';
import {
  resolveDiffusionDPOConfig,
  type DiffusionDPOConfig,
  type ResolvedDiffusionDPOConfig,
} from './diffusion-dpo-config.js';
import { diffusionPairMetrics } from './diffusion-dpo-metrics.js';
import { LatentDiffusionPreferenceScorer } from './latent-diffusion-preference-scorer.js';
import {
  buildLatentPreferenceBatch,
  orderedLatentPreferenceBatches,
  type LatentPairDrawOptions,
  type LatentPreferenceBatch,
} from './latent-preference-batch.js';
import type { TextToImageDPOModel } from './text-to-image-dpo-model.js';
import { timestepBuckets, type TimestepBuckets } from './timestep-buckets.js';

/** What a {@link LatentDiffusionDPOTrainer} trains, against what, on what. */
export interface LatentDiffusionDPOTrainerOptions {
  /** The policy (caption encoder + latent denoiser); trained in place. */
  readonly model: TextToImageDPOModel;
  /**
   * The frozen reference, a separate model. Not disposed by the trainer.
   * @defaultValue a clone of `model`, disposed with the trainer
   */
  readonly referenceModel?: TextToImageDPOModel;
  /** The noise schedule over latents, shared by policy and reference (use the one the model was trained with). */
  readonly schedule: NoiseSchedule;
  /** The training pairs as scaled latents with their captions' token ids (from {@link encodeCaptionPreferences}). */
  readonly trainDataset: CaptionLatentPreferences;
  /** Held-out pairs for {@link LatentDiffusionDPOTrainer.evaluate}: fixed draws, no caption dropout. */
  readonly evalDataset?: CaptionLatentPreferences;
  /** The Diffusion-DPO settings, as for the pixel trainer (beta 5000 on score = -0.5 mse, ...). */
  readonly config: DiffusionDPOConfig;
  /**
   * Train the caption encoder too. @defaultValue false: frozen, as Diffusion-DPO keeps SD's text
   * encoder frozen (see the class notes)
   */
  readonly trainTextEncoder?: boolean;
  /** With `precomputeRefLogProbs`: the JSON file keeping reference scores across runs. Omitted: in memory. */
  readonly referenceCacheFile?: string;
  /**
   * The caption tokenizer of `model`, written by {@link LatentDiffusionDPOTrainer.save} so the
   * saved directory is a complete model (`dpo-ts sample --caption`). Not used in training.
   * @defaultValue undefined: `save(dir)` refuses, naming this option
   */
  readonly tokenizer?: CaptionTokenizer;
  /**
   * The latent autoencoder whose latents `model` denoises, written by
   * {@link LatentDiffusionDPOTrainer.save} beside the model. Not used in training; the caller's.
   * @defaultValue undefined: `save(dir)` refuses, naming this option
   */
  readonly autoencoder?: ScaledAutoencoder;
}

const EVAL_SEED_SALT = 0x65766131;

/**
 * Diffusion-DPO for a text-to-image latent diffusion model: core's `PreferenceTrainerBase` with
 * the {@link LatentDiffusionPreferenceScorer}, the same config, losses, per-timestep metrics,
 * reference handling (frozen copy, cached scores, or none) and loop as the pixel
 * {@link DiffusionDPOTrainer}; only the batch (latents and caption tokens) and the scorer differ.
 * With the sigmoid loss, per pair (Wallace et al. 2023, Eq. 14, in latent space):
 *
 *   loss = -log sigmoid(-beta * 0.5 * ((mse_w - mse_ref_w) - (mse_l - mse_ref_l))),
 *   mse_x = mean (eps - eps_theta(z_t(x), t, c))^2, z = scalingFactor * E_mean(x)
 *
 * The caption encoder is frozen by default: the official Diffusion-DPO code trains SD's UNet
 * only (`text_encoder.requires_grad_(False)`); a preference between two images of one caption
 * says which image is better, not how the caption should be read; a frozen encoder keeps the
 * conditioning of every other caption (held-out ones included) where pretraining put it, so the
 * log-ratio measures the denoiser alone; and it halves what the optimiser holds.
 * `trainTextEncoder: true` trains both (the reference's encoder then stays frozen).
 *
 * Metrics: core's `loss`, `rewards/*` (`rewards/accuracies` = the official `implicit_acc`),
 * `logps/*`, `logits/*`; `mse/model_*`, `mse/ref_*` and per-timestep-bucket accuracy and margin
 * (`rewards/accuracies/t000-199`, ...); `epoch`, `grad_norm`, `learning_rate`,
 * `train_samples_per_second` in `train()`.
 *
 * @see Wallace et al. 2023, Eq. 14; SalesforceAIResearch/DiffusionDPO `train.py`.
 * @example
 * ```ts
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import {
 *   LatentDiffusionDPOTrainer,
 *   NoiseSchedule,
 *   TextToImageDPOModel,
 *   encodeCaptionPreferences,
 *   loadCaptionPreferenceImages,
 *   loadLatentAutoencoder,
 *   loadTextToImageModel,
 *   saveTextToImageModel,
 * } from '@dpo-ts/diffusion';
 *
 * await selectBackend();
 * const base = await loadTextToImageModel('models/emoji-t2i'); // tokenizer, caption encoder, latent denoiser
 * const autoencoder = await loadLatentAutoencoder('models/emoji-autoencoder'); // frozen: z = scalingFactor * E_mean(x)
 * const latents = async (file: string) => {
 *   const images = await loadCaptionPreferenceImages(file, [32, 32, 3]); // Pick-a-Pic-style JSONL, ties dropped
 *   return encodeCaptionPreferences(images, autoencoder, base.tokenizer, base.encoder.config.maxLength);
 * };
 * const trainer = await LatentDiffusionDPOTrainer.create({
 *   model: new TextToImageDPOModel(base.encoder, base.denoiser), // the policy; the reference is a frozen clone
 *   schedule: new NoiseSchedule(), // the one the base model was trained with
 *   trainDataset: await latents('pairs.jsonl'),
 *   evalDataset: await latents('held-out.jsonl'),
 *   config: { totalSteps: 200, beta: 5000, learningRate: 1e-5, evalSteps: 50 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/t2i-dpo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_rewards/accuracies, eval_mse/model_chosen, ...
 * await saveTextToImageModel('runs/t2i-dpo/model', base); // the encoder and denoiser were trained in place
 * trainer.dispose();
 * base.encoder.dispose();
 * base.denoiser.dispose();
 * autoencoder.autoencoder.dispose();
 * ```
 */
export class LatentDiffusionDPOTrainer extends PreferenceTrainerBase<
  TextToImageDPOModel,
  LatentPreferenceBatch,
  ResolvedDiffusionDPOConfig
> {
  /** {@inheritDoc LatentDiffusionDPOTrainerOptions.schedule} */
  readonly schedule: NoiseSchedule;
  /** {@inheritDoc LatentDiffusionDPOTrainerOptions.trainDataset} */
  readonly trainDataset: CaptionLatentPreferences;
  /** The held-out pairs {@link LatentDiffusionDPOTrainer.evaluate} scores, or undefined without an `evalDataset`. */
  readonly evalDataset: CaptionLatentPreferences | undefined;
  /** The `numTimestepBuckets` timestep buckets of the per-bucket accuracy and margin metrics. */
  readonly buckets: TimestepBuckets;
  /** {@inheritDoc LatentDiffusionDPOTrainerOptions.trainTextEncoder} */
  readonly trainTextEncoder: boolean;
  /** {@inheritDoc LatentDiffusionDPOTrainerOptions.tokenizer} */
  readonly tokenizer: CaptionTokenizer | undefined;
  /** {@inheritDoc LatentDiffusionDPOTrainerOptions.autoencoder} */
  readonly autoencoder: ScaledAutoencoder | undefined;
  protected readonly headlineMetrics = [
    METRIC_NAMES.loss,
    METRIC_NAMES.rewardsAccuracies,
    METRIC_NAMES.rewardsMargins,
    METRIC_NAMES.mseModelChosen,
    METRIC_NAMES.gradNorm,
    METRIC_NAMES.trainSamplesPerSecond,
  ];

  private constructor(
    options: LatentDiffusionDPOTrainerOptions,
    config: ResolvedDiffusionDPOConfig,
    reference: PreparedReference<TextToImageDPOModel>,
    trainTextEncoder: boolean,
  ) {
    const buckets = timestepBuckets(options.schedule.numTimesteps, config.numTimestepBuckets);
    super({
      kind: 'latent-diffusion-dpo',
      modelConfig: options.model.architecture() as unknown as JsonValue,
      config,
      model: options.model,
      reference,
      policyScorer: new LatentDiffusionPreferenceScorer(options.model, options.schedule, {
        scale: config.scoreScale,
        trainTextEncoder,
      }),
      referenceScorer:
        reference.model === undefined
          ? undefined
          : new LatentDiffusionPreferenceScorer(reference.model, options.schedule, {
              scale: config.scoreScale,
              trainable: false,
            }),
      keys: (batch) => batch.keys,
      numPairs: (batch) => batch.numPairs,
      pairMetrics: diffusionPairMetrics(config.loss.beta, config.scoreScale, buckets),
    });
    this.schedule = options.schedule;
    this.trainDataset = options.trainDataset;
    this.evalDataset = options.evalDataset;
    this.buckets = buckets;
    this.trainTextEncoder = trainTextEncoder;
    this.tokenizer = options.tokenizer;
    this.autoencoder = options.autoencoder;
  }

  /**
   * Saves the trained policy as a complete text-to-image model ({@link saveTextToImageTrainedModel}:
   * tokenizer, caption encoder, latent denoiser, autoencoder, schedule, and `trainer.json` with
   * kind `latent-diffusion-dpo`, this config and the optimiser step), atomically: a failed save
   * leaves a previous directory intact. `dpo-ts sample --model DIR --caption "..."` draws from it.
   * @throws InvalidArgumentError naming `options.tokenizer` or `options.autoencoder` when
   *   `create()` was not given them.
   */
  async save(dir: string): Promise<void> {
    if (this.tokenizer === undefined)
      throw new InvalidArgumentError(
        'options.tokenizer',
        'the caption tokenizer, given to create() so that save(dir) writes a complete model',
        undefined,
      );
    if (this.autoencoder === undefined)
      throw new InvalidArgumentError(
        'options.autoencoder',
        'the latent autoencoder, given to create() so that save(dir) writes a complete model',
        undefined,
      );
    await saveTextToImageTrainedModel(dir, {
      kind: 'latent-diffusion-dpo',
      model: { tokenizer: this.tokenizer, encoder: this.model.encoder, denoiser: this.model.denoiser },
      autoencoder: this.autoencoder,
      schedule: this.schedule,
      trainerConfig: this.config,
      step: this.preferenceTrainer.optimizer.step,
    });
  }

  /**
   * Reads a model saved by {@link LatentDiffusionDPOTrainer.save} (or any
   * {@link saveTextToImageTrainedModel} directory): tokenizer, caption encoder, latent denoiser,
   * autoencoder, schedule and manifest. Wrap `encoder` and `denoiser` in a `TextToImageDPOModel`
   * to train further. The caller disposes `encoder`, `denoiser` and `autoencoder.autoencoder`.
   */
  static load(dir: string): Promise<SavedTextToImageModel> {
    return loadTextToImageTrainedModel(dir);
  }

  /** Validates config and data, prepares the reference (a frozen clone unless given) and its cache. */
  static async create(options: LatentDiffusionDPOTrainerOptions): Promise<LatentDiffusionDPOTrainer> {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'an object', options);
    const { model, schedule } = options;
    const config = resolveDiffusionDPOConfig(options.config, model.denoiser, schedule.numTimesteps);
    const trainTextEncoder = requireBoolean('options.trainTextEncoder', options.trainTextEncoder ?? false);
    const { latentShape } = model.denoiser.config;
    const { maxLength } = model.encoder.config;
    validateCaptionLatentPreferences('options.trainDataset', options.trainDataset, latentShape, maxLength);
    if (options.evalDataset !== undefined)
      validateCaptionLatentPreferences('options.evalDataset', options.evalDataset, latentShape, maxLength);
    const reference = await prepareReference<TextToImageDPOModel>({
      model,
      referenceModel: options.referenceModel,
      referenceFree: config.loss.referenceFree,
      clone: (policy) => policy.clone(),
      separateReference: 'a separate model (model.clone())',
      precompute: config.precomputeRefLogProbs,
      cacheFile: options.referenceCacheFile,
      fingerprint: async (referenceModel) => ({
        format: 'dpo-ts.latent-diffusion-reference-scores.v1',
        model: fingerprintJson(referenceModel.architecture()),
        weights: await fingerprintVariables(referenceModel.namedVariables()),
        schedule: fingerprintJson(schedule.config),
        draws: fingerprintJson({ seed: config.seed, cfgDropProb: config.cfgDropProb, scheme: 'drawExample.v1' }),
        scoring: fingerprintJson({ scoreScale: config.scoreScale }),
        'data/train': fingerprintCaptionLatentPreferences(options.trainDataset),
        'data/eval':
          options.evalDataset === undefined ? 'none' : fingerprintCaptionLatentPreferences(options.evalDataset),
        backend: backendFingerprint(),
      }),
    });
    try {
      return new LatentDiffusionDPOTrainer(options, config, reference, trainTextEncoder);
    } catch (error) {
      reference.dispose();
      throw error;
    }
  }

  private draws(round: number, keyPrefix: string, cfgDropProb = this.config.cfgDropProb): LatentPairDrawOptions {
    return { seed: this.config.seed, round, numTimesteps: this.schedule.numTimesteps, cfgDropProb, keyPrefix };
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  batchesForStep(stepIndex: number): LatentPreferenceBatch[] {
    return stepMicroBatches(this.trainDataset.count, stepBatchOptions(this.config), stepIndex).map(
      ({ epoch, indices }) =>
        buildLatentPreferenceBatch(
          this.trainDataset,
          indices,
          this.draws(this.config.fixedNoise ? 0 : epoch + 1, 'train/'),
        ),
    );
  }

  /** The eval pairs in batches of `perDeviceEvalBatchSize`, fixed draws, no caption dropout. */
  evalBatches(): LatentPreferenceBatch[] {
    if (this.evalDataset === undefined) return [];
    return orderedLatentPreferenceBatches(this.evalDataset, this.config.perDeviceEvalBatchSize, {
      ...this.draws(0, 'eval/', 0),
      seed: mixSeeds(this.config.seed, EVAL_SEED_SALT),
    });
  }

  protected defaultEvalBatches(): LatentPreferenceBatch[] | undefined {
    return this.evalDataset === undefined ? undefined : this.evalBatches();
  }

  protected precomputeBatches(): LatentPreferenceBatch[] {
    const train = orderedLatentPreferenceBatches(
      this.trainDataset,
      this.config.precomputeRefBatchSize,
      this.draws(0, 'train/'),
    );
    return [...train, ...this.evalBatches()];
  }

  protected epochAfter(completedSteps: number): number {
    return epochsCompleted(this.trainDataset.count, stepBatchOptions(this.config), completedSteps);
  }
}
