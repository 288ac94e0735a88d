import {
  DEFAULT_OPTIMIZATION_CONFIG,
  definedFields,
  InvalidArgumentError,
  OPTIMIZATION_CONFIG_FIELDS,
  requireInteger,
  requireKnownFields,
  requireNumber,
  resolveOptimizationConfig,
  type OptimizationConfig,
  type ResolvedOptimizationConfig,
} from '@dpo-ts/core';

/**
 * Settings of a {@link RewardTrainer}, named after TRL's `RewardConfig` / transformers'
 * `TrainingArguments`, camel-cased.
 */
export interface RewardTrainerConfig extends OptimizationConfig {
  /** Pairs per step (`per_device_train_batch_size`). @defaultValue 8 (transformers) */
  readonly batchSize?: number;
  /** Pairs per evaluation forward pass. @defaultValue 8 (transformers' `per_device_eval_batch_size`) */
  readonly evalBatchSize?: number;
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
  /** Seed of the per-epoch shuffling of the training pairs. @defaultValue 42 (transformers) */
  readonly seed?: number;
}

/** A validated {@link RewardTrainerConfig}; `maxLength` still optional until a model is known. */
export interface ResolvedRewardTrainerConfig extends ResolvedOptimizationConfig {
  readonly batchSize: number;
  readonly evalBatchSize: number;
  readonly maxLength: number | undefined;
  readonly centerRewardsCoefficient: number | undefined;
  readonly seed: number;
}

/** Defaults of the optional fields (TRL's `RewardConfig` over transformers' `TrainingArguments`). */
export const DEFAULT_REWARD_TRAINER_CONFIG = Object.freeze({
  batchSize: 8,
  evalBatchSize: 8,
  ...DEFAULT_OPTIMIZATION_CONFIG,
  learningRate: 1e-4,
  seed: 42,
});

const KNOWN_FIELDS = [...OPTIMIZATION_CONFIG_FIELDS, 'batchSize', 'evalBatchSize', 'maxLength', 'centerRewardsCoefficient', 'seed'];

/**
 * Merges `config` over {@link DEFAULT_REWARD_TRAINER_CONFIG} and validates every field once,
 * naming it on error (`config.batchSize must be an integer >= 1: got 0`). Unknown fields are
 * an error too (a misspelt option would otherwise be ignored silently).
 */
export function resolveRewardTrainerConfig(config: RewardTrainerConfig): ResolvedRewardTrainerConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  const optimization = resolveOptimizationConfig(config, DEFAULT_REWARD_TRAINER_CONFIG);
  const merged = { ...DEFAULT_REWARD_TRAINER_CONFIG, ...definedFields(config) };
  return Object.freeze({
    ...optimization,
    batchSize: requireInteger('config.batchSize', merged.batchSize, { min: 1 }),
    evalBatchSize: requireInteger('config.evalBatchSize', merged.evalBatchSize, { min: 1 }),
    maxLength: merged.maxLength === undefined ? undefined : requireInteger('config.maxLength', merged.maxLength, { min: 3 }),
    centerRewardsCoefficient:
      merged.centerRewardsCoefficient === undefined ? undefined : requireNumber('config.centerRewardsCoefficient', merged.centerRewardsCoefficient, { min: 0 }),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
  });
}
