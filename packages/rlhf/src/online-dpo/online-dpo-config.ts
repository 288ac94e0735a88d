import { resolveSamplingWorkersArgument, type SamplingWorkersArgument } from '../sampling-workers.js';
import {
  InvalidArgumentError,
  PREFERENCE_LOSS_CONFIG_FIELDS,
  requireBoolean,
  requireInteger,
  requireKnownFields,
  requireNumber,
  resolvePreferenceLossConfig,
  type PreferenceLossConfig,
  type ResolvedPreferenceLossConfig,
} from '@dpo-ts/core';
import {
  DEFAULT_OPTIMIZATION_CONFIG,
  definedFields,
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  resolveOptimizationConfig,
  resolveWorkers,
  type OptimizationConfig,
  type ParallelTrainingArguments,
  type ResolvedOptimizationConfig,
} from '@dpo-ts/core/training';

/**
 * Settings of the {@link OnlineDPOTrainer}, TRL's `OnlineDPOConfig` names camel-cased, plus any
 * of core's preference-loss fields (`beta`, `lossType`, `lossWeights`, `labelSmoothing`, ...):
 * TRL offers `sigmoid` and `ipo`; every core loss works here. One step is one optimiser step:
 * `perDeviceTrainBatchSize x gradientAccumulationSteps` prompts, two fresh completions each.
 */
export interface OnlineDPOConfig
  extends OptimizationConfig,
    Partial<PreferenceLossConfig>,
    SamplingWorkersArgument,
    ParallelTrainingArguments {
  /** Optimiser steps of the whole run. */
  readonly totalSteps: number;
  /** Prompts (pairs) per micro-batch (`per_device_train_batch_size`). @defaultValue 8 */
  readonly perDeviceTrainBatchSize?: number;
  /** Micro-batches per optimiser step (`gradient_accumulation_steps`). @defaultValue 1 */
  readonly gradientAccumulationSteps?: number;
  /** Most tokens per completion (`max_new_tokens`). @defaultValue 64 */
  readonly maxNewTokens?: number;
  /** Longest prompt in tokens (BOS included); longer prompts keep their end. @defaultValue contextLength - maxNewTokens + 1 */
  readonly maxPromptLength?: number;
  /** Sampling temperature (`temperature`). @defaultValue 0.9 */
  readonly temperature?: number;
  /** Stop a completion at its first EOS. @defaultValue true */
  readonly stopAtEos?: boolean;
  /** Subtracted from the reward score of a completion without EOS (`missing_eos_penalty`; reward only). @defaultValue undefined */
  readonly missingEosPenalty?: number;
  /** Peak AdamW learning rate. @defaultValue 5e-7 (TRL's OnlineDPOConfig) */
  readonly learningRate?: number;
  /** Seed of prompt order and sampling. @defaultValue 42 */
  readonly seed?: number;
  /** Run `evaluate()` on `evalDataset` every this many steps during `train()`. @defaultValue undefined (never) */
  readonly evalSteps?: number;
}

/** A validated {@link OnlineDPOConfig}; `maxPromptLength` is resolved by the trainer (it needs the model). */
export type ResolvedOnlineDPOConfig = ResolvedOptimizationConfig & {
  /** {@inheritDoc OnlineDPOConfig.perDeviceTrainBatchSize} */
  readonly perDeviceTrainBatchSize: number;
  /** {@inheritDoc OnlineDPOConfig.gradientAccumulationSteps} */
  readonly gradientAccumulationSteps: number;
  /** Prompts per step: perDeviceTrainBatchSize x gradientAccumulationSteps. */
  readonly promptsPerStep: number;
  /** {@inheritDoc OnlineDPOConfig.maxNewTokens} */
  readonly maxNewTokens: number;
  /** {@inheritDoc OnlineDPOConfig.maxPromptLength} */
  readonly maxPromptLength: number | undefined;
  /** {@inheritDoc OnlineDPOConfig.temperature} */
  readonly temperature: number;
  /** {@inheritDoc OnlineDPOConfig.stopAtEos} */
  readonly stopAtEos: boolean;
  /** {@inheritDoc OnlineDPOConfig.missingEosPenalty} */
  readonly missingEosPenalty: number | undefined;
  /** {@inheritDoc OnlineDPOConfig.seed} */
  readonly seed: number;
  /** {@inheritDoc OnlineDPOConfig.evalSteps} */
  readonly evalSteps: number | undefined;
  /** Sampling threads, as given or `'auto'` (see {@link SamplingWorkersArgument}). */
  readonly samplingWorkers: number | 'auto';
  /**
   * Gradient threads of each step's micro-batches, as given or `'auto'` (core's
   * `ParallelTrainingArguments.workers`; at most `gradientAccumulationSteps`).
   */
  readonly workers: number | 'auto';
  /** The preference loss, resolved by core's `resolvePreferenceLossConfig`. */
  readonly loss: ResolvedPreferenceLossConfig;
};

/** Defaults of the optional {@link OnlineDPOConfig} fields (TRL's `OnlineDPOConfig`); the loss's are core's (β 0.1, sigmoid). */
export const DEFAULT_ONLINE_DPO_CONFIG = Object.freeze({
  /** {@inheritDoc OnlineDPOConfig.perDeviceTrainBatchSize} */
  perDeviceTrainBatchSize: 8,
  /** {@inheritDoc OnlineDPOConfig.gradientAccumulationSteps} */
  gradientAccumulationSteps: 1,
  /** {@inheritDoc OnlineDPOConfig.maxNewTokens} */
  maxNewTokens: 64,
  /** {@inheritDoc OnlineDPOConfig.temperature} */
  temperature: 0.9,
  /** {@inheritDoc OnlineDPOConfig.stopAtEos} */
  stopAtEos: true,
  ...DEFAULT_OPTIMIZATION_CONFIG,
  /** {@inheritDoc OnlineDPOConfig.learningRate} */
  learningRate: 5e-7,
  /** {@inheritDoc OnlineDPOConfig.seed} */
  seed: 42,
});

const OWN_FIELDS = [
  'totalSteps',
  'maxPromptLength',
  'missingEosPenalty',
  'evalSteps',
  'samplingWorkers',
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
];

/**
 * Merges `config` over {@link DEFAULT_ONLINE_DPO_CONFIG} and validates every field once, naming it
 * on error; the preference-loss fields go through core's `resolvePreferenceLossConfig`. Unknown
 * fields are an error.
 */
export function resolveOnlineDPOConfig(config: OnlineDPOConfig): ResolvedOnlineDPOConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, [
    ...OWN_FIELDS,
    ...Object.keys(DEFAULT_ONLINE_DPO_CONFIG),
    ...PREFERENCE_LOSS_CONFIG_FIELDS,
  ]);
  const merged = { ...DEFAULT_ONLINE_DPO_CONFIG, ...definedFields(config) } as OnlineDPOConfig &
    typeof DEFAULT_ONLINE_DPO_CONFIG;
  const perDeviceTrainBatchSize = requireInteger('config.perDeviceTrainBatchSize', merged.perDeviceTrainBatchSize, {
    min: 1,
  });
  const gradientAccumulationSteps = requireInteger(
    'config.gradientAccumulationSteps',
    merged.gradientAccumulationSteps,
    { min: 1 },
  );
  const lossFields = Object.fromEntries(
    PREFERENCE_LOSS_CONFIG_FIELDS.filter((key) => key in config).map((key) => [key, config[key]]),
  );
  return Object.freeze({
    ...resolveOptimizationConfig(config, DEFAULT_ONLINE_DPO_CONFIG),
    perDeviceTrainBatchSize,
    gradientAccumulationSteps,
    promptsPerStep: perDeviceTrainBatchSize * gradientAccumulationSteps,
    maxNewTokens: requireInteger('config.maxNewTokens', merged.maxNewTokens, { min: 1 }),
    maxPromptLength:
      merged.maxPromptLength === undefined
        ? undefined
        : requireInteger('config.maxPromptLength', merged.maxPromptLength, { min: 1 }),
    temperature: requireNumber('config.temperature', merged.temperature, { min: 0, exclusiveMin: true }),
    stopAtEos: requireBoolean('config.stopAtEos', merged.stopAtEos),
    missingEosPenalty:
      merged.missingEosPenalty === undefined
        ? undefined
        : requireNumber('config.missingEosPenalty', merged.missingEosPenalty, { min: 0 }),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
    evalSteps:
      merged.evalSteps === undefined ? undefined : requireInteger('config.evalSteps', merged.evalSteps, { min: 1 }),
    samplingWorkers: resolveSamplingWorkersArgument(config),
    workers: resolveWorkers(config),
    loss: resolvePreferenceLossConfig(lossFields),
  });
}
