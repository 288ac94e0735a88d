import { resolveSamplingWorkersArgument, type SamplingWorkersArgument } from '../sampling-workers.js';
import { InvalidArgumentError, requireBoolean, requireInteger, requireKnownFields, requireNumber } from '@dpo-ts/core';
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
 * Settings RLOO and GRPO share, named after TRL's `GRPOConfig` / `RLOOConfig` (camel-cased).
 * One "step" is one generation batch: `perDeviceTrainBatchSize x gradientAccumulationSteps`
 * completions (`numGenerations` per prompt), then `numIterations` optimiser steps over it (TRL's
 * `steps_per_generation` = `gradient_accumulation_steps`, so with `numIterations` 1 a step is
 * one optimiser step, as in TRL).
 */
export interface GroupConfig extends OptimizationConfig, SamplingWorkersArgument, ParallelTrainingArguments {
  /** Generation batches of the whole run. */
  readonly totalSteps: number;
  /** Completions per micro-batch (`per_device_train_batch_size`). @defaultValue 8 */
  readonly perDeviceTrainBatchSize?: number;
  /** Micro-batches per optimiser step (`gradient_accumulation_steps`). @defaultValue 1 */
  readonly gradientAccumulationSteps?: number;
  /** G, completions per prompt (`num_generations`), >= 2. @defaultValue GRPO 8, RLOO 2 */
  readonly numGenerations?: number;
  /** Optimiser passes over each generation batch (`num_iterations`, μ in DeepSeekMath). @defaultValue 1 */
  readonly numIterations?: number;
  /** Lower clip ε of the ratio (`epsilon`). @defaultValue 0.2 */
  readonly epsilon?: number;
  /** Upper clip ε (`epsilon_high`; DAPO uses 0.28). @defaultValue `epsilon` */
  readonly epsilonHigh?: number;
  /** KL coefficient β (`beta`). @defaultValue GRPO 0 (TRL's current default: no reference pass), RLOO 0.05 */
  readonly beta?: number;
  /** Most tokens per completion (`max_completion_length`). @defaultValue 256 */
  readonly maxCompletionLength?: number;
  /** Longest prompt in tokens (BOS included); longer prompts keep their end. @defaultValue contextLength - maxCompletionLength + 1 */
  readonly maxPromptLength?: number;
  /** Sampling temperature; log-probs are of softmax(logits / T), as TRL. @defaultValue 1 */
  readonly temperature?: number;
  /** Stop a completion at its first EOS. @defaultValue true */
  readonly stopAtEos?: boolean;
  /** Peak AdamW learning rate. @defaultValue 1e-6 (TRL's GRPOConfig and RLOOConfig) */
  readonly learningRate?: number;
  /** Seed of prompt order and sampling. @defaultValue 42 */
  readonly seed?: number;
  /** Run `evaluate()` on `evalDataset` every this many steps during `train()`. @defaultValue undefined (never) */
  readonly evalSteps?: number;
}

/** A validated {@link GroupConfig}; `maxPromptLength` is resolved by the trainer (it needs the model). */
export type ResolvedGroupConfig = ResolvedOptimizationConfig &
  Required<
    Omit<GroupConfig, keyof OptimizationConfig | 'maxPromptLength' | 'evalSteps' | 'samplingWorkers' | 'workers'>
  > & {
    /**
     * Gradient threads of each optimiser step's micro-batches, as given or `'auto'` (core's
     * `ParallelTrainingArguments.workers`; at most `gradientAccumulationSteps`).
     */
    readonly workers: number | 'auto';
    /** Sampling threads, as given or `'auto'` (see {@link SamplingWorkersArgument}). */
    readonly samplingWorkers: number | 'auto';
    /** Longest prompt in tokens (BOS included), as configured; undefined until the trainer resolves it against the model. */
    readonly maxPromptLength: number | undefined;
    /** {@inheritDoc GroupConfig.evalSteps} */
    readonly evalSteps: number | undefined;
    /** Completions per step: perDeviceTrainBatchSize x gradientAccumulationSteps. */
    readonly generationBatchSize: number;
    /** Prompts per step: generationBatchSize / numGenerations. */
    readonly promptsPerStep: number;
  };

/** Defaults shared by RLOO and GRPO (TRL's where TRL has them). */
export const DEFAULT_GROUP_CONFIG = Object.freeze({
  /** {@inheritDoc GroupConfig.perDeviceTrainBatchSize} */
  perDeviceTrainBatchSize: 8,
  /** {@inheritDoc GroupConfig.gradientAccumulationSteps} */
  gradientAccumulationSteps: 1,
  /** {@inheritDoc GroupConfig.numIterations} */
  numIterations: 1,
  /** {@inheritDoc GroupConfig.epsilon} */
  epsilon: 0.2,
  /** {@inheritDoc GroupConfig.maxCompletionLength} */
  maxCompletionLength: 256,
  /** {@inheritDoc GroupConfig.temperature} */
  temperature: 1,
  /** {@inheritDoc GroupConfig.stopAtEos} */
  stopAtEos: true,
  ...DEFAULT_OPTIMIZATION_CONFIG,
  /** {@inheritDoc GroupConfig.learningRate} */
  learningRate: 1e-6,
  /** {@inheritDoc GroupConfig.seed} */
  seed: 42,
});

const SHARED_FIELDS = [
  'totalSteps',
  'numGenerations',
  'epsilonHigh',
  'beta',
  'maxPromptLength',
  'evalSteps',
  'samplingWorkers',
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
];

/**
 * Merges `config` over the shared and the trainer's defaults and validates every shared field
 * once, naming it on error (`config.perDeviceTrainBatchSize x gradientAccumulationSteps must be
 * divisible by numGenerations = 3: got 8`). Unknown fields are an error.
 * @param defaults - the trainer's own defaults (`numGenerations`, `beta`, its own fields).
 * @param ownFields - the trainer's own field names, validated by the trainer.
 */
export function resolveGroupConfig(
  config: GroupConfig,
  defaults: { readonly numGenerations: number; readonly beta: number },
  ownFields: readonly string[],
): ResolvedGroupConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, [...SHARED_FIELDS, ...Object.keys(DEFAULT_GROUP_CONFIG), ...ownFields]);
  const merged = { ...DEFAULT_GROUP_CONFIG, ...defaults, ...definedFields(config) } as GroupConfig &
    typeof DEFAULT_GROUP_CONFIG &
    typeof defaults;
  const perDeviceTrainBatchSize = requireInteger('config.perDeviceTrainBatchSize', merged.perDeviceTrainBatchSize, {
    min: 1,
  });
  const gradientAccumulationSteps = requireInteger(
    'config.gradientAccumulationSteps',
    merged.gradientAccumulationSteps,
    { min: 1 },
  );
  const numGenerations = requireInteger('config.numGenerations', merged.numGenerations, { min: 2 });
  const generationBatchSize = perDeviceTrainBatchSize * gradientAccumulationSteps;
  if (generationBatchSize % numGenerations !== 0) {
    throw new InvalidArgumentError(
      'config.perDeviceTrainBatchSize x gradientAccumulationSteps',
      `divisible by numGenerations = ${numGenerations}`,
      generationBatchSize,
    );
  }
  const epsilon = requireNumber('config.epsilon', merged.epsilon, { min: 0 });
  return Object.freeze({
    ...resolveOptimizationConfig(config, DEFAULT_GROUP_CONFIG),
    perDeviceTrainBatchSize,
    gradientAccumulationSteps,
    numGenerations,
    generationBatchSize,
    promptsPerStep: generationBatchSize / numGenerations,
    numIterations: requireInteger('config.numIterations', merged.numIterations, { min: 1 }),
    epsilon,
    epsilonHigh: requireNumber('config.epsilonHigh', merged.epsilonHigh ?? epsilon, { min: 0 }),
    beta: requireNumber('config.beta', merged.beta, { min: 0 }),
    maxCompletionLength: requireInteger('config.maxCompletionLength', merged.maxCompletionLength, { min: 1 }),
    maxPromptLength:
      merged.maxPromptLength === undefined
        ? undefined
        : requireInteger('config.maxPromptLength', merged.maxPromptLength, { min: 1 }),
    temperature: requireNumber('config.temperature', merged.temperature, { min: 0, exclusiveMin: true }),
    stopAtEos: requireBoolean('config.stopAtEos', merged.stopAtEos),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
    evalSteps:
      merged.evalSteps === undefined ? undefined : requireInteger('config.evalSteps', merged.evalSteps, { min: 1 }),
    samplingWorkers: resolveSamplingWorkersArgument(config),
    workers: resolveWorkers(config),
  });
}
