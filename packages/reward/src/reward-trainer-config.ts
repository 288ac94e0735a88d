import { InvalidArgumentError, LR_SCHEDULE_TYPES, requireInteger, requireNumber, requireOneOf } from '@dpo-ts/core';
import type { LRScheduleType } from '@dpo-ts/core';

/**
 * Settings of a {@link RewardTrainer}, named after TRL's `RewardConfig` / transformers'
 * `TrainingArguments`, camel-cased.
 */
export interface RewardTrainerConfig {
  /** Optimiser steps of the whole run. */
  readonly totalSteps: number;
  /** Pairs per step (`per_device_train_batch_size`). @defaultValue 8 (transformers) */
  readonly batchSize?: number;
  /** Pairs per evaluation forward pass. @defaultValue 8 (transformers' `per_device_eval_batch_size`) */
  readonly evalBatchSize?: number;
  /** Peak AdamW learning rate. @defaultValue 1e-4 (TRL's RewardConfig) */
  readonly learningRate?: number;
  /** @defaultValue 'linear' (transformers) */
  readonly lrSchedule?: LRScheduleType;
  /** @defaultValue 0 */
  readonly warmupSteps?: number;
  /** Fraction of totalSteps used for warm-up when warmupSteps is 0. @defaultValue 0 */
  readonly warmupRatio?: number;
  /** Decoupled weight decay. @defaultValue 0 (transformers) */
  readonly weightDecay?: number;
  /** @defaultValue 0.9 */
  readonly adamBeta1?: number;
  /** @defaultValue 0.999 */
  readonly adamBeta2?: number;
  /** @defaultValue 1e-8 */
  readonly adamEpsilon?: number;
  /** Clip the global gradient norm to this; Infinity disables. @defaultValue 1 (transformers) */
  readonly maxGradNorm?: number;
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
export interface ResolvedRewardTrainerConfig {
  readonly totalSteps: number;
  readonly batchSize: number;
  readonly evalBatchSize: number;
  readonly learningRate: number;
  readonly lrSchedule: LRScheduleType;
  readonly warmupSteps: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEpsilon: number;
  readonly maxGradNorm: number;
  readonly maxLength: number | undefined;
  readonly centerRewardsCoefficient: number | undefined;
  readonly seed: number;
}

/** Defaults of the optional fields (TRL's `RewardConfig` over transformers' `TrainingArguments`). */
export const DEFAULT_REWARD_TRAINER_CONFIG = Object.freeze({
  batchSize: 8,
  evalBatchSize: 8,
  learningRate: 1e-4,
  lrSchedule: 'linear' as LRScheduleType,
  warmupSteps: 0,
  warmupRatio: 0,
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  seed: 42,
});

const KNOWN_FIELDS = new Set([
  'totalSteps', 'batchSize', 'evalBatchSize', 'learningRate', 'lrSchedule', 'warmupSteps', 'warmupRatio', 'weightDecay',
  'adamBeta1', 'adamBeta2', 'adamEpsilon', 'maxGradNorm', 'maxLength', 'centerRewardsCoefficient', 'seed',
]);

/**
 * Merges `config` over {@link DEFAULT_REWARD_TRAINER_CONFIG} and validates every field once,
 * naming it on error (`config.batchSize must be an integer >= 1: got 0`). Unknown fields are
 * an error too (a misspelt option would otherwise be ignored silently).
 */
export function resolveRewardTrainerConfig(config: RewardTrainerConfig): ResolvedRewardTrainerConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  for (const key of Object.keys(config)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidArgumentError(`config.${key}`, `absent (known fields: ${[...KNOWN_FIELDS].join(', ')})`, (config as unknown as Record<string, unknown>)[key]);
  }
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const merged = { ...DEFAULT_REWARD_TRAINER_CONFIG, ...given } as RewardTrainerConfig & typeof DEFAULT_REWARD_TRAINER_CONFIG;
  return Object.freeze({
    totalSteps: requireInteger('config.totalSteps', merged.totalSteps, { min: 1 }),
    batchSize: requireInteger('config.batchSize', merged.batchSize, { min: 1 }),
    evalBatchSize: requireInteger('config.evalBatchSize', merged.evalBatchSize, { min: 1 }),
    learningRate: requireNumber('config.learningRate', merged.learningRate, { min: 0 }),
    lrSchedule: requireOneOf('config.lrSchedule', merged.lrSchedule, LR_SCHEDULE_TYPES),
    warmupSteps: requireInteger('config.warmupSteps', merged.warmupSteps, { min: 0 }),
    warmupRatio: requireNumber('config.warmupRatio', merged.warmupRatio, { min: 0, max: 1 }),
    weightDecay: requireNumber('config.weightDecay', merged.weightDecay, { min: 0 }),
    adamBeta1: requireNumber('config.adamBeta1', merged.adamBeta1, { min: 0, max: 1, exclusiveMax: true }),
    adamBeta2: requireNumber('config.adamBeta2', merged.adamBeta2, { min: 0, max: 1, exclusiveMax: true }),
    adamEpsilon: requireNumber('config.adamEpsilon', merged.adamEpsilon, { min: 0, exclusiveMin: true }),
    maxGradNorm: merged.maxGradNorm === Infinity ? Infinity : requireNumber('config.maxGradNorm', merged.maxGradNorm, { min: 0, exclusiveMin: true }),
    maxLength: merged.maxLength === undefined ? undefined : requireInteger('config.maxLength', merged.maxLength, { min: 3 }),
    centerRewardsCoefficient:
      merged.centerRewardsCoefficient === undefined ? undefined : requireNumber('config.centerRewardsCoefficient', merged.centerRewardsCoefficient, { min: 0 }),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
  });
}
