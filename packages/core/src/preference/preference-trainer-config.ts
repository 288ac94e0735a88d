import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireBoolean, requireInteger, requireKnownFields, requireNumber } from '../errors/validate.js';
import {
  PREFERENCE_LOSS_CONFIG_FIELDS,
  resolvePreferenceLossConfig,
  type PreferenceLossConfig,
  type ResolvedPreferenceLossConfig,
} from '../losses/preference-loss-config.js';
import { DEFAULT_OPTIMIZATION_CONFIG, definedFields } from '../training/optimization-config.js';
import {
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  resolveWorkers,
  type ParallelTrainingArguments,
} from '../training/parallel-training-arguments.js';
import {
  resolveTrainingArguments,
  TRAINING_ARGUMENTS_FIELDS,
  type ResolvedTrainingArguments,
  type TrainingArguments,
  type TrainingArgumentsDefaults,
} from '../training/training-arguments.js';

/**
 * Settings of a preference trainer (DPO and every loss variant, any modality): the shared
 * {@link TrainingArguments} (optimiser, schedule, data walk), the loss
 * ({@link PreferenceLossConfig}) and TR-DPO syncing, named after TRL's `DPOConfig` /
 * transformers' `TrainingArguments`, camel-cased. lm's `DPOConfig` and diffusion's
 * `DiffusionDPOConfig` extend it with their modality's fields.
 */
export interface PreferenceTrainerConfig
  extends TrainingArguments,
    ParallelTrainingArguments,
    Partial<PreferenceLossConfig> {
  /** Peak AdamW learning rate. @defaultValue 1e-6 (TRL's DPOConfig) */
  readonly learningRate?: number;
  /** TR-DPO: softly update the reference model from the policy. @defaultValue false */
  readonly syncRefModel?: boolean;
  /** TR-DPO alpha: pi_ref = alpha * pi_theta + (1 - alpha) * pi_ref. @defaultValue 0.6 (TRL) */
  readonly refModelMixupAlpha?: number;
  /** TR-DPO tau: steps between reference updates. @defaultValue 512 (TRL) */
  readonly refModelSyncSteps?: number;
}

/**
 * A validated {@link PreferenceTrainerConfig}, every field filled in: the training arguments
 * flat, the loss settings resolved under `loss` (what `computePreferenceLoss` takes).
 */
export interface ResolvedPreferenceTrainerConfig extends ResolvedTrainingArguments {
  /** The loss settings resolved (`lossType`, `lossWeights`, `beta`, ...), as `computePreferenceLoss` takes them. */
  readonly loss: ResolvedPreferenceLossConfig;
  /** TR-DPO: whether the reference model is softly updated from the policy (TRL's `sync_ref_model`). */
  readonly syncRefModel: boolean;
  /** TR-DPO alpha in pi_ref = alpha * pi_theta + (1 - alpha) * pi_ref, in [0, 1] (`ref_model_mixup_alpha`). */
  readonly refModelMixupAlpha: number;
  /** TR-DPO tau: optimiser steps between reference updates (`ref_model_sync_steps`). */
  readonly refModelSyncSteps: number;
  /** Worker threads for a step's micro-batches (see `ParallelTrainingArguments.workers`). */
  readonly workers: number | 'auto';
}

/** Defaults a modality's trainer may set: the training arguments' and `beta`. */
export type PreferenceTrainerDefaults = TrainingArgumentsDefaults & {
  /** The modality's default `beta` (the KL weight), used when the config gives none: DPO's 0.1, Diffusion-DPO's 5000. */
  readonly beta?: number;
};

/** Defaults of the optimisation and TR-DPO fields (the loss fields default as `DEFAULT_PREFERENCE_LOSS_CONFIG`). */
export const DEFAULT_PREFERENCE_TRAINER_CONFIG = Object.freeze({
  ...DEFAULT_OPTIMIZATION_CONFIG,
  /** {@inheritDoc PreferenceTrainerConfig.learningRate} */
  learningRate: 1e-6,
  /** {@inheritDoc PreferenceTrainerConfig.syncRefModel} */
  syncRefModel: false,
  /** {@inheritDoc PreferenceTrainerConfig.refModelMixupAlpha} */
  refModelMixupAlpha: 0.6,
  /** {@inheritDoc PreferenceTrainerConfig.refModelSyncSteps} */
  refModelSyncSteps: 512,
});

/**
 * Every field name of {@link PreferenceTrainerConfig}: the training arguments, the loss fields
 * and TR-DPO's. Model packages whose configs extend it check their own unknown fields, then hand
 * exactly these to {@link resolvePreferenceTrainerConfig} (core's `pickFields`).
 */
export const PREFERENCE_TRAINER_CONFIG_FIELDS: readonly (keyof PreferenceTrainerConfig)[] = Object.freeze([
  ...TRAINING_ARGUMENTS_FIELDS,
  ...PREFERENCE_LOSS_CONFIG_FIELDS,
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  'syncRefModel',
  'refModelMixupAlpha',
  'refModelSyncSteps',
]);

/**
 * Merges `config` over the trainer's `defaults`, then {@link DEFAULT_PREFERENCE_TRAINER_CONFIG}
 * and core's training-argument defaults, and validates every field once.
 * @param defaults - the modality trainer's own defaults, e.g. Diffusion-DPO's
 *   `{ beta: 5000, learningRate: 1e-5, lrSchedule: 'constant', perDeviceTrainBatchSize: 16 }`.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got; also for a
 *   field outside {@link PREFERENCE_TRAINER_CONFIG_FIELDS} (`config.lerningRate must be absent
 *   (known fields: ...): got 0.1`), which would otherwise be ignored silently. A config that
 *   extends this one (lm's `DPOConfig`) passes only these fields, after checking its own.
 */
export function resolvePreferenceTrainerConfig(
  config: PreferenceTrainerConfig,
  defaults: PreferenceTrainerDefaults = {},
): ResolvedPreferenceTrainerConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, PREFERENCE_TRAINER_CONFIG_FIELDS);
  const { beta, ...trainingDefaults } = defaults;
  const training = resolveTrainingArguments(config, {
    learningRate: DEFAULT_PREFERENCE_TRAINER_CONFIG.learningRate,
    ...definedFields(trainingDefaults),
  });
  const merged = { ...DEFAULT_PREFERENCE_TRAINER_CONFIG, ...definedFields(config) };
  return Object.freeze({
    ...training,
    loss: resolvePreferenceLossConfig({
      beta: config.beta ?? beta,
      lossType: config.lossType,
      lossWeights: config.lossWeights,
      referenceFree: config.referenceFree,
      labelSmoothing: config.labelSmoothing,
      ipoNormalizeLength: config.ipoNormalizeLength,
      discopopTau: config.discopopTau,
      simpoGamma: config.simpoGamma,
    }),
    syncRefModel: requireBoolean('config.syncRefModel', merged.syncRefModel),
    refModelMixupAlpha: requireNumber('config.refModelMixupAlpha', merged.refModelMixupAlpha, { min: 0, max: 1 }),
    refModelSyncSteps: requireInteger('config.refModelSyncSteps', merged.refModelSyncSteps, { min: 1 }),
    workers: resolveWorkers(config),
  });
}
