import type { StepBatchOptions } from '../data/step-micro-batches.js';
import { requireInteger, requireNumber } from '../errors/validate.js';
import {
  definedFields,
  OPTIMIZATION_CONFIG_FIELDS,
  resolveOptimizationConfig,
  type OptimizationConfig,
  type OptimizationDefaults,
  type ResolvedOptimizationConfig,
} from './optimization-config.js';

/**
 * {@link OptimizationConfig} plus how a trainer walks its data, evaluates, checkpoints and
 * logs: transformers' `TrainingArguments` (which TRL's configs extend), camel-cased. The SFT,
 * DPO and Diffusion-DPO configs extend it; sizes count examples (sequences, images or pairs).
 */
export interface TrainingArguments extends Omit<OptimizationConfig, 'totalSteps'> {
  /**
   * Optimiser steps of the whole run (transformers' `max_steps`); when given it wins over
   * `numTrainEpochs`. @defaultValue undefined: derived from `numTrainEpochs` and the training set
   */
  readonly totalSteps?: number;
  /**
   * Passes over the training data when `totalSteps` is not given (transformers'
   * `num_train_epochs`; fractions allowed): see core's `trainStepsFromEpochs`. @defaultValue 3
   */
  readonly numTrainEpochs?: number;
  /** Examples per micro-batch. @defaultValue the trainer's; 8 (transformers) when it sets none */
  readonly perDeviceTrainBatchSize?: number;
  /** Examples per evaluation batch. @defaultValue the trainer's; 8 (transformers) when it sets none */
  readonly perDeviceEvalBatchSize?: number;
  /** Micro-batches per optimiser step; the effective batch is their product. @defaultValue 1 */
  readonly gradientAccumulationSteps?: number;
  /**
   * Seed of the data order and of every derived random stream (dropout, timesteps, noise).
   * @defaultValue 42 (transformers)
   */
  readonly seed?: number;
  /** Evaluate every this many steps when evaluation data is given. @defaultValue undefined (no evaluation during training) */
  readonly evalSteps?: number;
  /** Checkpoint every this many steps when a checkpoint directory is given. @defaultValue 500 (transformers) */
  readonly saveSteps?: number;
  /** Keep only the newest this many checkpoints. @defaultValue undefined (keep all) */
  readonly saveTotalLimit?: number;
  /** Print a progress line every this many steps (and at least every 30 s). @defaultValue 10 */
  readonly loggingSteps?: number;
}

/** {@link TrainingArguments} validated, every default filled in. */
export interface ResolvedTrainingArguments extends ResolvedOptimizationConfig {
  /**
   * The configured `totalSteps`, or 0 until the trainer derives it from `numTrainEpochs` and
   * its training-set size with core's `withTrainSteps` (every trainer does, in `create`).
   */
  readonly totalSteps: number;
  /** Passes over the training data that `totalSteps` was derived from when not given (transformers' `num_train_epochs`). */
  readonly numTrainEpochs: number;
  /** Examples per micro-batch (transformers' `per_device_train_batch_size`). */
  readonly perDeviceTrainBatchSize: number;
  /** Examples per evaluation batch (transformers' `per_device_eval_batch_size`). */
  readonly perDeviceEvalBatchSize: number;
  /** Micro-batches per optimiser step; the effective batch is their product (`gradient_accumulation_steps`). */
  readonly gradientAccumulationSteps: number;
  /** Seed of the data order and of every derived random stream (dropout, timesteps, noise). */
  readonly seed: number;
  /** Evaluate every this many steps when evaluation data is given; undefined: no evaluation during training. */
  readonly evalSteps: number | undefined;
  /** Checkpoint every this many steps when a checkpoint directory is given (`save_steps`). */
  readonly saveSteps: number;
  /** Keep only the newest this many checkpoints; undefined: keep all (`save_total_limit`). */
  readonly saveTotalLimit: number | undefined;
  /** Print a progress line every this many steps (and at least every 30 s) (`logging_steps`). */
  readonly loggingSteps: number;
}

/** Defaults a trainer may set for the optional {@link TrainingArguments} fields. */
export type TrainingArgumentsDefaults = OptimizationDefaults &
  Partial<
    Pick<
      ResolvedTrainingArguments,
      | 'perDeviceTrainBatchSize'
      | 'perDeviceEvalBatchSize'
      | 'gradientAccumulationSteps'
      | 'seed'
      | 'numTrainEpochs'
      | 'saveSteps'
      | 'loggingSteps'
    >
  >;

/** Defaults of the data-walking fields of {@link TrainingArguments} where a trainer sets none. */
export const DEFAULT_TRAINING_ARGUMENTS = Object.freeze({
  /** {@inheritDoc TrainingArguments.perDeviceTrainBatchSize} */
  perDeviceTrainBatchSize: 8,
  /** {@inheritDoc TrainingArguments.perDeviceEvalBatchSize} */
  perDeviceEvalBatchSize: 8,
  /** {@inheritDoc TrainingArguments.gradientAccumulationSteps} */
  gradientAccumulationSteps: 1,
  /** {@inheritDoc TrainingArguments.seed} */
  seed: 42,
  /** {@inheritDoc TrainingArguments.numTrainEpochs} */
  numTrainEpochs: 3,
  /** {@inheritDoc TrainingArguments.saveSteps} */
  saveSteps: 500,
  /** {@inheritDoc TrainingArguments.loggingSteps} */
  loggingSteps: 10,
});

/**
 * Every field name of {@link TrainingArguments} ({@link OPTIMIZATION_CONFIG_FIELDS} included),
 * for trainer configs that extend it and refuse unknown fields (`requireKnownFields`).
 */
export const TRAINING_ARGUMENTS_FIELDS: readonly (keyof TrainingArguments)[] = Object.freeze([
  ...OPTIMIZATION_CONFIG_FIELDS,
  'numTrainEpochs',
  'perDeviceTrainBatchSize',
  'perDeviceEvalBatchSize',
  'gradientAccumulationSteps',
  'seed',
  'evalSteps',
  'saveSteps',
  'saveTotalLimit',
  'loggingSteps',
]);

/**
 * Validates {@link TrainingArguments} once: the optimiser fields with
 * {@link resolveOptimizationConfig}, then the data-walking fields, each merged over the
 * trainer's `defaults` and then {@link DEFAULT_TRAINING_ARGUMENTS}. Without `totalSteps` the
 * result's `totalSteps` is 0 until the trainer settles it with `withTrainSteps` (transformers'
 * precedence: `max_steps` when given, else `num_train_epochs` over the training set).
 *
 * @param defaults - the trainer's defaults, e.g. `{ learningRate: 1e-3, lrSchedule: 'constant', perDeviceTrainBatchSize: 64 }`.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got
 *   (`config.gradientAccumulationSteps must be an integer >= 1: got 0`).
 */
export function resolveTrainingArguments(
  config: TrainingArguments,
  defaults: TrainingArgumentsDefaults = {},
): ResolvedTrainingArguments {
  // The optimiser resolver requires totalSteps; without one it is derived later (withTrainSteps).
  const stepsGiven = config !== null && typeof config === 'object' && config.totalSteps !== undefined;
  const optimization = resolveOptimizationConfig(
    stepsGiven ? (config as OptimizationConfig) : { ...config, totalSteps: 1 },
    defaults,
  );
  const merged = { ...DEFAULT_TRAINING_ARGUMENTS, ...definedFields(defaults), ...definedFields(config) };
  const optional = (name: 'evalSteps' | 'saveTotalLimit'): number | undefined =>
    config[name] === undefined ? undefined : requireInteger(`config.${name}`, config[name], { min: 1 });
  return Object.freeze({
    ...optimization,
    totalSteps: stepsGiven ? optimization.totalSteps : 0,
    numTrainEpochs: requireNumber('config.numTrainEpochs', merged.numTrainEpochs, { min: 0, exclusiveMin: true }),
    perDeviceTrainBatchSize: requireInteger('config.perDeviceTrainBatchSize', merged.perDeviceTrainBatchSize, {
      min: 1,
    }),
    perDeviceEvalBatchSize: requireInteger('config.perDeviceEvalBatchSize', merged.perDeviceEvalBatchSize, { min: 1 }),
    gradientAccumulationSteps: requireInteger('config.gradientAccumulationSteps', merged.gradientAccumulationSteps, {
      min: 1,
    }),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
    evalSteps: optional('evalSteps'),
    saveSteps: requireInteger('config.saveSteps', merged.saveSteps, { min: 1 }),
    saveTotalLimit: optional('saveTotalLimit'),
    loggingSteps: requireInteger('config.loggingSteps', merged.loggingSteps, { min: 1 }),
  });
}

/**
 * How a trainer configured by {@link TrainingArguments} walks its data with `stepMicroBatches`:
 * micro-batches of `perDeviceTrainBatchSize`, `gradientAccumulationSteps` per optimiser step,
 * shuffled by `seed`.
 */
export function stepBatchOptions(args: ResolvedTrainingArguments): StepBatchOptions {
  return {
    batchSize: args.perDeviceTrainBatchSize,
    gradientAccumulationSteps: args.gradientAccumulationSteps,
    seed: args.seed,
  };
}
