import { InvalidArgumentError, requireInteger, resolvePreferenceTrainerConfig, type LRScheduleType } from '@dpo-ts/core';

/**
 * Settings every trainer of this package shares (Diffusion-DPO, SFT / base training): the
 * optimiser, the schedule and how the data is walked. Names follow transformers'
 * `TrainingArguments` (which TRL's configs extend) camel-cased, as `@dpo-ts/lm` does, so one
 * vocabulary serves both modalities. Sizes count examples: images for SFT, pairs for DPO.
 */
export interface TrainingArguments {
  /** Optimiser steps of the whole run (transformers' `max_steps`). */
  readonly totalSteps: number;
  /** Peak AdamW learning rate. The default is the trainer's. */
  readonly learningRate?: number;
  /** @defaultValue the trainer's ('constant' for both diffusion trainers) */
  readonly lrSchedule?: LRScheduleType;
  /** @defaultValue 0 */
  readonly warmupSteps?: number;
  /** Fraction of totalSteps used for warm-up when warmupSteps is 0. @defaultValue 0 */
  readonly warmupRatio?: number;
  /** Decoupled weight decay on every weight. @defaultValue 0 */
  readonly weightDecay?: number;
  /** @defaultValue 0.9 */
  readonly adamBeta1?: number;
  /** @defaultValue 0.999 */
  readonly adamBeta2?: number;
  /** @defaultValue 1e-8 */
  readonly adamEpsilon?: number;
  /** Clip the global gradient norm to this; Infinity disables. @defaultValue 1 */
  readonly maxGradNorm?: number;
  /** Examples per micro-batch. @defaultValue the trainer's */
  readonly perDeviceTrainBatchSize?: number;
  /** Examples per evaluation batch. @defaultValue 64 */
  readonly perDeviceEvalBatchSize?: number;
  /** Micro-batches per optimiser step; the effective batch is their product. @defaultValue 1 */
  readonly gradientAccumulationSteps?: number;
  /**
   * Seed of the data order and of every per-example draw (timestep, noise, label dropout).
   * @defaultValue 42 (transformers)
   */
  readonly seed?: number;
  /** Evaluate every this many steps when evaluation data is given. @defaultValue undefined (none during training) */
  readonly evalSteps?: number;
  /** Checkpoint every this many steps when a checkpoint directory is given. @defaultValue 500 (transformers) */
  readonly saveSteps?: number;
  /** Keep only the newest this many checkpoints. @defaultValue undefined (keep all) */
  readonly saveTotalLimit?: number;
  /** Print a progress line every this many steps (and at least every 30 s). @defaultValue 10 */
  readonly loggingSteps?: number;
}

/** {@link TrainingArguments} validated, every default filled in. */
export interface ResolvedTrainingArguments {
  readonly totalSteps: number;
  readonly learningRate: number;
  readonly lrSchedule: LRScheduleType;
  readonly warmupSteps: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEpsilon: number;
  readonly maxGradNorm: number;
  readonly perDeviceTrainBatchSize: number;
  readonly perDeviceEvalBatchSize: number;
  readonly gradientAccumulationSteps: number;
  readonly seed: number;
  readonly evalSteps: number | undefined;
  readonly saveSteps: number;
  readonly saveTotalLimit: number | undefined;
  readonly loggingSteps: number;
}

/** The defaults a trainer supplies for {@link resolveTrainingArguments}. */
export interface TrainerDefaults {
  readonly learningRate: number;
  readonly lrSchedule: LRScheduleType;
  readonly perDeviceTrainBatchSize: number;
}

/** Defaults of the data-walking fields shared by every trainer. */
export const DEFAULT_TRAINING_ARGUMENTS = Object.freeze({
  perDeviceEvalBatchSize: 64,
  gradientAccumulationSteps: 1,
  seed: 42,
  saveSteps: 500,
  loggingSteps: 10,
});

/**
 * Validates {@link TrainingArguments} once. The optimiser fields go through core's
 * `resolvePreferenceTrainerConfig`, so every trainer validates them with the same rules and
 * messages (`config.learningRate must be a finite number >= 0: got -1`).
 * @throws InvalidArgumentError naming the field, what it accepts and what it got.
 */
export function resolveTrainingArguments(config: TrainingArguments, defaults: TrainerDefaults): ResolvedTrainingArguments {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  const optimizer = resolvePreferenceTrainerConfig({
    totalSteps: config.totalSteps,
    learningRate: config.learningRate ?? defaults.learningRate,
    lrSchedule: config.lrSchedule ?? defaults.lrSchedule,
    warmupSteps: config.warmupSteps,
    warmupRatio: config.warmupRatio,
    weightDecay: config.weightDecay,
    adamBeta1: config.adamBeta1,
    adamBeta2: config.adamBeta2,
    adamEpsilon: config.adamEpsilon,
    maxGradNorm: config.maxGradNorm,
  });
  const merged = { ...DEFAULT_TRAINING_ARGUMENTS, perDeviceTrainBatchSize: defaults.perDeviceTrainBatchSize, ...definedFields(config) };
  const optional = (name: string, value: number | undefined): number | undefined =>
    value === undefined ? undefined : requireInteger(`config.${name}`, value, { min: 1 });
  return Object.freeze({
    totalSteps: optimizer.totalSteps,
    learningRate: optimizer.learningRate,
    lrSchedule: optimizer.lrSchedule,
    warmupSteps: optimizer.warmupSteps,
    warmupRatio: optimizer.warmupRatio,
    weightDecay: optimizer.weightDecay,
    adamBeta1: optimizer.adamBeta1,
    adamBeta2: optimizer.adamBeta2,
    adamEpsilon: optimizer.adamEpsilon,
    maxGradNorm: optimizer.maxGradNorm,
    perDeviceTrainBatchSize: requireInteger('config.perDeviceTrainBatchSize', merged.perDeviceTrainBatchSize, { min: 1 }),
    perDeviceEvalBatchSize: requireInteger('config.perDeviceEvalBatchSize', merged.perDeviceEvalBatchSize, { min: 1 }),
    gradientAccumulationSteps: requireInteger('config.gradientAccumulationSteps', merged.gradientAccumulationSteps, { min: 1 }),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
    evalSteps: optional('evalSteps', config.evalSteps),
    saveSteps: requireInteger('config.saveSteps', merged.saveSteps, { min: 1 }),
    saveTotalLimit: optional('saveTotalLimit', config.saveTotalLimit),
    loggingSteps: requireInteger('config.loggingSteps', merged.loggingSteps, { min: 1 }),
  });
}

/** The fields of `value` that are not undefined. @internal */
export function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
