import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireBoolean, requireInteger, requireKnownFields, requireNumber } from '../errors/validate.js';
import {
  PREFERENCE_LOSS_CONFIG_FIELDS,
  resolvePreferenceLossConfig,
  type PreferenceLossConfig,
  type ResolvedPreferenceLossConfig,
} from '../losses/preference-loss-config.js';
import {
  DEFAULT_OPTIMIZATION_CONFIG,
  definedFields,
  OPTIMIZATION_CONFIG_FIELDS,
  resolveOptimizationConfig,
  type OptimizationConfig,
  type ResolvedOptimizationConfig,
} from '../training/optimization-config.js';

/**
 * Settings of a preference trainer (DPO and every loss variant, any modality): the shared
 * {@link OptimizationConfig}, the loss ({@link PreferenceLossConfig}) and TR-DPO syncing,
 * named after TRL's `DPOConfig` / transformers' `TrainingArguments`, camel-cased.
 */
export interface PreferenceTrainerConfig extends OptimizationConfig, Partial<PreferenceLossConfig> {
  /** Peak AdamW learning rate. @defaultValue 1e-6 (TRL's DPOConfig) */
  readonly learningRate?: number;
  /** TR-DPO: softly update the reference model from the policy. @defaultValue false */
  readonly syncRefModel?: boolean;
  /** TR-DPO alpha: pi_ref = alpha * pi_theta + (1 - alpha) * pi_ref. @defaultValue 0.6 (TRL) */
  readonly refModelMixupAlpha?: number;
  /** TR-DPO tau: steps between reference updates. @defaultValue 512 (TRL) */
  readonly refModelSyncSteps?: number;
}

/** A validated {@link PreferenceTrainerConfig}, every field filled in. */
export interface ResolvedPreferenceTrainerConfig extends ResolvedOptimizationConfig {
  readonly loss: ResolvedPreferenceLossConfig;
  readonly syncRefModel: boolean;
  readonly refModelMixupAlpha: number;
  readonly refModelSyncSteps: number;
}

/** Defaults of the optimisation and TR-DPO fields (the loss fields default as `DEFAULT_PREFERENCE_LOSS_CONFIG`). */
export const DEFAULT_PREFERENCE_TRAINER_CONFIG = Object.freeze({
  ...DEFAULT_OPTIMIZATION_CONFIG,
  learningRate: 1e-6,
  syncRefModel: false,
  refModelMixupAlpha: 0.6,
  refModelSyncSteps: 512,
});

/**
 * Every field name of {@link PreferenceTrainerConfig}: the optimisation fields, the loss fields
 * and TR-DPO's. Model packages whose configs extend it check their own unknown fields, then hand
 * exactly these to {@link resolvePreferenceTrainerConfig} (core's `pickFields`).
 */
export const PREFERENCE_TRAINER_CONFIG_FIELDS: readonly (keyof PreferenceTrainerConfig)[] = Object.freeze([
  ...OPTIMIZATION_CONFIG_FIELDS,
  ...PREFERENCE_LOSS_CONFIG_FIELDS,
  'syncRefModel',
  'refModelMixupAlpha',
  'refModelSyncSteps',
]);

/**
 * Merges `config` over the defaults and validates every field once.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got; also for a
 *   field outside {@link PREFERENCE_TRAINER_CONFIG_FIELDS} (`config.lerningRate must be absent
 *   (known fields: ...): got 0.1`), which would otherwise be ignored silently. A config that
 *   extends this one (lm's `DPOConfig`) passes only these fields, after checking its own.
 */
export function resolvePreferenceTrainerConfig(config: PreferenceTrainerConfig): ResolvedPreferenceTrainerConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, PREFERENCE_TRAINER_CONFIG_FIELDS);
  const optimization = resolveOptimizationConfig(config, DEFAULT_PREFERENCE_TRAINER_CONFIG);
  const merged = { ...DEFAULT_PREFERENCE_TRAINER_CONFIG, ...definedFields(config) };
  return Object.freeze({
    loss: resolvePreferenceLossConfig({
      beta: config.beta,
      lossType: config.lossType,
      lossWeights: config.lossWeights,
      referenceFree: config.referenceFree,
      labelSmoothing: config.labelSmoothing,
      ipoNormalizeLength: config.ipoNormalizeLength,
      discopopTau: config.discopopTau,
      simpoGamma: config.simpoGamma,
    }),
    ...optimization,
    syncRefModel: requireBoolean('config.syncRefModel', merged.syncRefModel),
    refModelMixupAlpha: requireNumber('config.refModelMixupAlpha', merged.refModelMixupAlpha, { min: 0, max: 1 }),
    refModelSyncSteps: requireInteger('config.refModelSyncSteps', merged.refModelSyncSteps, { min: 1 }),
  });
}

/**
 * The flat {@link PreferenceTrainerConfig} that {@link PreferenceTrainer} takes, from a resolved
 * one (whose loss fields are nested under `loss`): for model packages that resolve the
 * preference settings together with their own and then build the trainer.
 */
export function flattenPreferenceTrainerConfig(config: ResolvedPreferenceTrainerConfig): PreferenceTrainerConfig {
  const { loss, ...optimization } = config;
  return { ...optimization, ...loss };
}
