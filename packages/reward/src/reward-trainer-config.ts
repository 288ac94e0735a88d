import { InvalidArgumentError, requireInteger, requireKnownFields, requireNumber } from '@dpo-ts/core';
import {
  resolveTrainingArguments,
  resolveWorkers,
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  TRAINING_ARGUMENTS_FIELDS,
  type ParallelTrainingArguments,
  type ResolvedTrainingArguments,
  type TrainingArguments,
} from '@dpo-ts/core/training';

/**
 * Settings of a {@link RewardTrainer}, named after TRL's `RewardConfig` / transformers'
 * `TrainingArguments`, camel-cased: core's {@link TrainingArguments} (an optimiser step takes
 * `gradientAccumulationSteps` batches of `perDeviceTrainBatchSize` pairs, their gradients
 * averaged), core's `workers` ({@link ParallelTrainingArguments}: those micro-batches on
 * worker threads) and the reward fields.
 */
export interface RewardTrainerConfig extends TrainingArguments, ParallelTrainingArguments {
  /** Pairs per step. @defaultValue 8 (transformers) */
  readonly perDeviceTrainBatchSize?: number;
  /** Pairs per evaluation forward pass. @defaultValue 8 (transformers) */
  readonly perDeviceEvalBatchSize?: number;
  /** Peak AdamW learning rate. @defaultValue 1e-4 (TRL's RewardConfig) */
  readonly learningRate?: number;
  /**
   * Longest row, `[BOS] prompt completion [EOS]`; longer pairs are dropped, as TRL's
   * `max_length` filter. @defaultValue the backbone's contextLength (TRL: 1024)
   */
  readonly maxLength?: number;
  /**
   * TRL's `center_rewards_coefficient`: adds c * mean((r_w + r_l)^2) to the loss
   * (Eisenstein et al. 2023). TRL recommends 0.01. @defaultValue undefined (off)
   */
  readonly centerRewardsCoefficient?: number;
}

/** A validated {@link RewardTrainerConfig}; `maxLength` still optional until a model is known. */
export interface ResolvedRewardTrainerConfig extends ResolvedTrainingArguments {
  /** Longest row `[BOS] prompt completion [EOS]` as configured; undefined until the trainer takes the backbone's `contextLength`. */
  readonly maxLength: number | undefined;
  /** {@inheritDoc RewardTrainerConfig.centerRewardsCoefficient} */
  readonly centerRewardsCoefficient: number | undefined;
  /** Worker threads, or `'auto'` (see core's `ParallelTrainingArguments.workers`). */
  readonly workers: number | 'auto';
}

/** The reward trainer's defaults over core's training arguments (TRL's `RewardConfig`). */
export const DEFAULT_REWARD_TRAINER_CONFIG = Object.freeze({
  /** {@inheritDoc RewardTrainerConfig.learningRate} */
  learningRate: 1e-4,
});

const KNOWN_FIELDS = [
  ...TRAINING_ARGUMENTS_FIELDS,
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  'maxLength',
  'centerRewardsCoefficient',
];

/**
 * Merges `config` over {@link DEFAULT_REWARD_TRAINER_CONFIG} and core's training-argument
 * defaults and validates every field once, naming it on error
 * (`config.perDeviceTrainBatchSize must be an integer >= 1: got 0`). Unknown fields are an error
 * too (a misspelt option would otherwise be ignored silently).
 */
export function resolveRewardTrainerConfig(config: RewardTrainerConfig): ResolvedRewardTrainerConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  const training = resolveTrainingArguments(config, DEFAULT_REWARD_TRAINER_CONFIG);
  return Object.freeze({
    ...training,
    workers: resolveWorkers(config),
    maxLength:
      config.maxLength === undefined ? undefined : requireInteger('config.maxLength', config.maxLength, { min: 3 }),
    centerRewardsCoefficient:
      config.centerRewardsCoefficient === undefined
        ? undefined
        : requireNumber('config.centerRewardsCoefficient', config.centerRewardsCoefficient, { min: 0 }),
  });
}
