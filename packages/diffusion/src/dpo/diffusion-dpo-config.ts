import {
  DIFFUSION_SCORE_SCALE,
  InvalidArgumentError,
  requireBoolean,
  requireInteger,
  requireKnownFields,
  requireNumber,
} from '@dpo-ts/core';
import { pickFields } from '@dpo-ts/core/training';
import {
  PREFERENCE_TRAINER_CONFIG_FIELDS,
  resolvePreferenceTrainerConfig,
  type PreferenceTrainerConfig,
  type ResolvedPreferenceRunConfig,
} from '@dpo-ts/core/preference';
import type { Denoiser } from '../denoiser.js';

/**
 * Configuration of {@link DiffusionDPOTrainer}: core's preference loss (`beta`, `lossType`,
 * `lossWeights`, `labelSmoothing`, `referenceFree`, ...: every core loss type works), the
 * optimiser and data walk (core's `TrainingArguments`), TR-DPO syncing, and the diffusion fields
 * below. Field names follow TRL's `DPOConfig` camel-cased where TRL has the setting.
 *
 * beta convention: score = -0.5 * mse (core's `DIFFUSION_SCORE_SCALE`), so the sigmoid loss is
 * -log sigmoid(-beta/2 * ((mse_w - mse_ref_w) - (mse_l - mse_ref_l))), exactly the official
 * code's (`beta_dpo` 5000 with -0.5 * beta_dpo); diffusers' example writes the same loss as
 * beta 2500 without the 0.5. Use the official numbers here unchanged.
 */
export interface DiffusionDPOConfig extends PreferenceTrainerConfig {
  /** DPO temperature on score = -0.5 mse. @defaultValue 5000 (SalesforceAIResearch/DiffusionDPO `beta_dpo`) */
  readonly beta?: number;
  /**
   * Peak AdamW learning rate. @defaultValue 1e-5 (the official runs use 1e-8 per image scaled by
   * a 2048-pair batch, ~2e-5, for Stable Diffusion; the MNIST MLP takes 1e-5 to 1e-4)
   */
  readonly learningRate?: number;
  /** Shape of the learning-rate schedule over the run. @defaultValue 'constant' (the official launchers use constant_with_warmup) */
  readonly lrSchedule?: PreferenceTrainerConfig['lrSchedule'];
  /** Pairs per micro-batch. @defaultValue 16 */
  readonly perDeviceTrainBatchSize?: number;
  /** Pairs per evaluation batch. @defaultValue 64 */
  readonly perDeviceEvalBatchSize?: number;
  /**
   * Probability that a training pair is conditioned on the null class instead of its label
   * (classifier-free-guidance dropout, shared by policy and reference). Evaluation never drops.
   * @defaultValue the denoiser's `cfgDropProb`
   */
  readonly cfgDropProb?: number;
  /**
   * Draw each pair's (t, eps, dropout) once and reuse it every epoch, instead of fresh draws per
   * epoch. Required (and implied) by `precomputeRefLogProbs`.
   * @defaultValue precomputeRefLogProbs
   */
  readonly fixedNoise?: boolean;
  /**
   * Score every pair with the reference once, before training, and keep the scores (on disk
   * with the trainer's `referenceCacheFile`, keyed by a fingerprint of the data, the reference
   * weights, the schedule and the draw seed) instead of a reference forward pass per step
   * (TRL's `precompute_ref_log_probs`).
   * @defaultValue false
   */
  readonly precomputeRefLogProbs?: boolean;
  /** Pairs per batch when precomputing. @defaultValue perDeviceEvalBatchSize */
  readonly precomputeRefBatchSize?: number;
  /** Equal-width timestep buckets of the per-bucket accuracy and margin metrics. @defaultValue 5 */
  readonly numTimestepBuckets?: number;
  /** score = -scoreScale * mse. @defaultValue DIFFUSION_SCORE_SCALE (0.5) */
  readonly scoreScale?: number;
}

/**
 * {@link DiffusionDPOConfig} validated against a denoiser, every default filled in: core's
 * resolved preference settings (training arguments, `loss`, TR-DPO) and the diffusion fields,
 * resolved once.
 */
export interface ResolvedDiffusionDPOConfig extends ResolvedPreferenceRunConfig {
  /** {@inheritDoc DiffusionDPOConfig.cfgDropProb} */
  readonly cfgDropProb: number;
  /** {@inheritDoc DiffusionDPOConfig.fixedNoise} */
  readonly fixedNoise: boolean;
  /** {@inheritDoc DiffusionDPOConfig.numTimestepBuckets} */
  readonly numTimestepBuckets: number;
  /** {@inheritDoc DiffusionDPOConfig.scoreScale} */
  readonly scoreScale: number;
}

/** Defaults of the Diffusion-DPO fields (the other loss defaults are core's). */
export const DEFAULT_DIFFUSION_DPO_CONFIG = Object.freeze({
  /** {@inheritDoc DiffusionDPOConfig.beta} */
  beta: 5000,
  /** {@inheritDoc DiffusionDPOConfig.learningRate} */
  learningRate: 1e-5,
  /** {@inheritDoc DiffusionDPOConfig.lrSchedule} */
  lrSchedule: 'constant' as const,
  /** {@inheritDoc DiffusionDPOConfig.perDeviceTrainBatchSize} */
  perDeviceTrainBatchSize: 16,
  /** {@inheritDoc DiffusionDPOConfig.perDeviceEvalBatchSize} */
  perDeviceEvalBatchSize: 64,
  /** {@inheritDoc DiffusionDPOConfig.precomputeRefLogProbs} */
  precomputeRefLogProbs: false,
  /** {@inheritDoc DiffusionDPOConfig.numTimestepBuckets} */
  numTimestepBuckets: 5,
  /** {@inheritDoc DiffusionDPOConfig.scoreScale} */
  scoreScale: DIFFUSION_SCORE_SCALE,
});

const KNOWN_FIELDS = new Set<string>([
  ...PREFERENCE_TRAINER_CONFIG_FIELDS,
  ...([
    'cfgDropProb',
    'fixedNoise',
    'precomputeRefLogProbs',
    'precomputeRefBatchSize',
    'numTimestepBuckets',
    'scoreScale',
  ] satisfies (keyof DiffusionDPOConfig)[]),
]);

/**
 * Merges `config` over the defaults and validates every field once, for `denoiser` (any
 * conditioned denoiser: only its `config.cfgDropProb` is read) and a schedule of `numTimesteps` steps.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got; also for an
 *   unknown field (a misspelt option would otherwise be ignored silently), and for
 *   `precomputeRefLogProbs` with `fixedNoise: false` or with `syncRefModel` (a synced
 *   reference changes, so its scores cannot be precomputed).
 */
export function resolveDiffusionDPOConfig(
  config: DiffusionDPOConfig,
  denoiser: { readonly config: Pick<Denoiser['config'], 'cfgDropProb'> },
  numTimesteps: number,
): ResolvedDiffusionDPOConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  const d = DEFAULT_DIFFUSION_DPO_CONFIG;
  // Core's fields (training arguments, loss, TR-DPO) over this trainer's defaults; only those,
  // since core refuses fields it does not know.
  const preference = resolvePreferenceTrainerConfig(pickFields(config, PREFERENCE_TRAINER_CONFIG_FIELDS), {
    beta: d.beta,
    learningRate: d.learningRate,
    lrSchedule: d.lrSchedule,
    perDeviceTrainBatchSize: d.perDeviceTrainBatchSize,
    perDeviceEvalBatchSize: d.perDeviceEvalBatchSize,
  });
  const precomputeRefLogProbs = requireBoolean(
    'config.precomputeRefLogProbs',
    config.precomputeRefLogProbs ?? d.precomputeRefLogProbs,
  );
  const fixedNoise = requireBoolean('config.fixedNoise', config.fixedNoise ?? precomputeRefLogProbs);
  if (precomputeRefLogProbs && !fixedNoise) {
    throw new InvalidArgumentError(
      'config.fixedNoise',
      'true (or unset) when precomputeRefLogProbs is true: cached reference scores hold for one (t, eps) per pair',
      false,
    );
  }
  if (precomputeRefLogProbs && preference.syncRefModel) {
    throw new InvalidArgumentError(
      'config.precomputeRefLogProbs',
      'false when syncRefModel is true (a synced reference changes during training)',
      true,
    );
  }
  return Object.freeze({
    ...preference,
    cfgDropProb: requireNumber('config.cfgDropProb', config.cfgDropProb ?? denoiser.config.cfgDropProb, {
      min: 0,
      max: 1,
    }),
    fixedNoise,
    precomputeRefLogProbs,
    precomputeRefBatchSize: requireInteger(
      'config.precomputeRefBatchSize',
      config.precomputeRefBatchSize ?? preference.perDeviceEvalBatchSize,
      { min: 1 },
    ),
    numTimestepBuckets: requireInteger('config.numTimestepBuckets', config.numTimestepBuckets ?? d.numTimestepBuckets, {
      min: 1,
      max: numTimesteps,
    }),
    scoreScale: requireNumber('config.scoreScale', config.scoreScale ?? d.scoreScale, { min: 0, exclusiveMin: true }),
  });
}
