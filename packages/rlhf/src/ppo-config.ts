import {
  InvalidArgumentError,
  requireBoolean,
  requireInteger,
  requireKnownFields,
  requireNumber,
  requireOneOf,
} from '@dpo-ts/core';
import {
  DEFAULT_OPTIMIZATION_CONFIG,
  definedFields,
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  resolveOptimizationConfig,
  resolveWorkers,
  type LRScheduleType,
  type OptimizationConfig,
  type ParallelTrainingArguments,
} from '@dpo-ts/core/training';
import { KL_ESTIMATORS, type KLEstimator } from './kl-estimators.js';
import { resolveSamplingWorkersArgument, type SamplingWorkersArgument } from './sampling-workers.js';

/** Which KL coefficient schedule PPO uses: TRL's fixed `kl_coef`, or Ziegler et al.'s adaptive controller. */
export type KLControllerType = 'fixed' | 'adaptive';

/**
 * Settings of the {@link PPOTrainer}, named after TRL's `PPOConfig` (camel-cased) where TRL has
 * the setting. One "step" is one PPO update: a batch of rollouts, then `numPpoEpochs` passes of
 * minibatch optimisation over it (TRL's `num_total_batches` counts these).
 */
export interface PPOConfig extends OptimizationConfig, SamplingWorkersArgument, ParallelTrainingArguments {
  /** PPO updates (rollout batches) of the whole run. */
  readonly totalSteps: number;
  /** Rollouts per update (TRL's `batch_size` = per-device batch × accumulation × devices). @defaultValue 8 */
  readonly batchSize?: number;
  /** Minibatches per PPO epoch: one optimiser step each (`num_mini_batches`). @defaultValue 1 */
  readonly numMiniBatches?: number;
  /** Micro-batches per minibatch whose gradients are averaged (`gradient_accumulation_steps`). @defaultValue 1 */
  readonly gradientAccumulationSteps?: number;
  /** Passes over each rollout batch (`num_ppo_epochs`). @defaultValue 4 */
  readonly numPpoEpochs?: number;
  /** Peak AdamW learning rate. @defaultValue 5e-5 (TRL's PPOConfig inherits transformers' default) */
  readonly learningRate?: number;
  /** Stepped once per PPO update, as TRL does. @defaultValue 'linear' */
  readonly lrSchedule?: LRScheduleType;
  /** Clip the global gradient norm; Infinity: never (TRL's PPO loop steps without clipping). @defaultValue Infinity */
  readonly maxGradNorm?: number;
  /** Most tokens sampled per completion (`response_length`). @defaultValue 53 */
  readonly responseLength?: number;
  /** Sampling temperature; log-probs are of softmax(logits / temperature), as TRL. @defaultValue 0.7 */
  readonly temperature?: number;
  /**
   * Stop a completion at its first EOS (TRL's `stop_token='eos'`; TRL's own default, None,
   * samples `responseLength` tokens regardless). @defaultValue true
   */
  readonly stopAtEos?: boolean;
  /** Subtracted from the score of completions without EOS (`missing_eos_penalty`). @defaultValue undefined */
  readonly missingEosPenalty?: number;
  /** Longest prompt in tokens (BOS included); longer prompts keep their end. @defaultValue contextLength - responseLength + 1 */
  readonly maxPromptLength?: number;
  /** The KL coefficient β (TRL's `kl_coef`); the initial β of the adaptive controller. @defaultValue 0.05 */
  readonly klCoef?: number;
  /** `'k1'` or `'k3'` (TRL's `kl_estimator`). @defaultValue 'k1' */
  readonly klEstimator?: KLEstimator;
  /** Fixed β, or Ziegler et al.'s adaptive controller. @defaultValue 'fixed' (TRL's current PPO) */
  readonly klController?: KLControllerType;
  /** Target KL of the adaptive controller, nats per completion (TRL v1's `target`). @defaultValue 6 */
  readonly klTarget?: number;
  /** Horizon of the adaptive controller (TRL v1's `horizon`). @defaultValue 10000 */
  readonly klHorizon?: number;
  /** Whiten the per-token rewards, keeping their mean (`whiten_rewards`). @defaultValue false */
  readonly whitenRewards?: boolean;
  /** Discount γ (`gamma`). @defaultValue 1 */
  readonly gamma?: number;
  /** GAE λ (`lam`). @defaultValue 0.95 */
  readonly lam?: number;
  /** Policy clip ε (`cliprange`). @defaultValue 0.2 */
  readonly cliprange?: number;
  /** Value clip δ (`cliprange_value`). @defaultValue 0.2 */
  readonly cliprangeValue?: number;
  /** Weight of the value loss (`vf_coef`). @defaultValue 0.1 */
  readonly vfCoef?: number;
  /**
   * Critic warm-up: the first this many updates (counted in `totalSteps`) fit only the value
   * model (the value head, and the separate `critic` when given) to the returns of the frozen
   * policy's rollouts, with the unweighted clipped value loss; the policy, and the KL
   * controller, start moving after them. A zero-initialised value head otherwise gives
   * advantages that are mostly the reward itself for the first updates, on a shared backbone
   * while the value loss still pulls on the policy's features. Not in TRL.
   * @defaultValue 0
   */
  readonly valueWarmupSteps?: number;
  /** Seed of prompt order, sampling and minibatch shuffling. @defaultValue 42 (transformers) */
  readonly seed?: number;
  /** Run `evaluate()` on `evalDataset` every this many updates during `train()`. @defaultValue undefined (never) */
  readonly evalSteps?: number;
}

/** A validated {@link PPOConfig}; `maxPromptLength` is resolved by the trainer (it needs the model). */
export type ResolvedPPOConfig = Required<
  Omit<PPOConfig, 'missingEosPenalty' | 'maxPromptLength' | 'evalSteps' | 'samplingWorkers' | 'workers'>
> & {
  /**
   * Gradient threads of each minibatch's micro-batches, as given or `'auto'` (core's
   * `ParallelTrainingArguments.workers`; at most `gradientAccumulationSteps`). The critic
   * warm-up (`valueWarmupSteps`) always runs on the main thread.
   */
  readonly workers: number | 'auto';
  /** Sampling threads, as given or `'auto'` (see {@link SamplingWorkersArgument}). */
  readonly samplingWorkers: number | 'auto';
  /** {@inheritDoc PPOConfig.missingEosPenalty} */
  readonly missingEosPenalty: number | undefined;
  /** {@inheritDoc PPOConfig.evalSteps} */
  readonly evalSteps: number | undefined;
  /** {@inheritDoc PPOConfig.maxPromptLength} */
  readonly maxPromptLength: number | undefined;
  /** Rollouts per minibatch: batchSize / numMiniBatches. */
  readonly miniBatchSize: number;
  /** Rollouts per micro-batch: miniBatchSize / gradientAccumulationSteps. */
  readonly microBatchSize: number;
};

/** Defaults of the optional {@link PPOConfig} fields (TRL's `PPOConfig` where it has them). */
export const DEFAULT_PPO_CONFIG = Object.freeze({
  /** {@inheritDoc PPOConfig.batchSize} */
  batchSize: 8,
  /** {@inheritDoc PPOConfig.numMiniBatches} */
  numMiniBatches: 1,
  /** {@inheritDoc PPOConfig.gradientAccumulationSteps} */
  gradientAccumulationSteps: 1,
  /** {@inheritDoc PPOConfig.numPpoEpochs} */
  numPpoEpochs: 4,
  // transformers' optimiser defaults (learning rate 5e-5 included), without clipping.
  ...DEFAULT_OPTIMIZATION_CONFIG,
  /** {@inheritDoc PPOConfig.maxGradNorm} */
  maxGradNorm: Infinity,
  /** {@inheritDoc PPOConfig.responseLength} */
  responseLength: 53,
  /** {@inheritDoc PPOConfig.temperature} */
  temperature: 0.7,
  /** {@inheritDoc PPOConfig.stopAtEos} */
  stopAtEos: true,
  /** {@inheritDoc PPOConfig.klCoef} */
  klCoef: 0.05,
  /** {@inheritDoc PPOConfig.klEstimator} */
  klEstimator: 'k1' as KLEstimator,
  /** {@inheritDoc PPOConfig.klController} */
  klController: 'fixed' as KLControllerType,
  /** {@inheritDoc PPOConfig.klTarget} */
  klTarget: 6,
  /** {@inheritDoc PPOConfig.klHorizon} */
  klHorizon: 10000,
  /** {@inheritDoc PPOConfig.whitenRewards} */
  whitenRewards: false,
  /** {@inheritDoc PPOConfig.gamma} */
  gamma: 1,
  /** {@inheritDoc PPOConfig.lam} */
  lam: 0.95,
  /** {@inheritDoc PPOConfig.cliprange} */
  cliprange: 0.2,
  /** {@inheritDoc PPOConfig.cliprangeValue} */
  cliprangeValue: 0.2,
  /** {@inheritDoc PPOConfig.vfCoef} */
  vfCoef: 0.1,
  /** {@inheritDoc PPOConfig.valueWarmupSteps} */
  valueWarmupSteps: 0,
  /** {@inheritDoc PPOConfig.seed} */
  seed: 42,
});

const KNOWN_FIELDS = new Set([
  'totalSteps',
  'missingEosPenalty',
  'maxPromptLength',
  'evalSteps',
  'samplingWorkers',
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  ...Object.keys(DEFAULT_PPO_CONFIG),
]);

/**
 * Merges `config` over {@link DEFAULT_PPO_CONFIG} and validates every field once, naming it on
 * error: `config.batchSize must be divisible by numMiniBatches * gradientAccumulationSteps = 3:
 * got 8`. Unknown fields are an error.
 */
export function resolvePPOConfig(config: PPOConfig): ResolvedPPOConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  const merged = { ...DEFAULT_PPO_CONFIG, ...definedFields(config) } as PPOConfig & typeof DEFAULT_PPO_CONFIG;
  const batchSize = requireInteger('config.batchSize', merged.batchSize, { min: 1 });
  const numMiniBatches = requireInteger('config.numMiniBatches', merged.numMiniBatches, { min: 1 });
  const gradientAccumulationSteps = requireInteger(
    'config.gradientAccumulationSteps',
    merged.gradientAccumulationSteps,
    { min: 1 },
  );
  if (batchSize % (numMiniBatches * gradientAccumulationSteps) !== 0) {
    throw new InvalidArgumentError(
      'config.batchSize',
      `divisible by numMiniBatches * gradientAccumulationSteps = ${numMiniBatches * gradientAccumulationSteps}`,
      batchSize,
    );
  }
  const whitenRewards = requireBoolean('config.whitenRewards', merged.whitenRewards);
  const miniBatchSize = batchSize / numMiniBatches;
  if (whitenRewards && miniBatchSize < 8) {
    // TRL asserts the same: whitening statistics over fewer rollouts are mostly noise.
    throw new InvalidArgumentError(
      'config.whitenRewards',
      'false when a minibatch has fewer than 8 rollouts (TRL asserts the same)',
      true,
      `minibatch of ${miniBatchSize}`,
    );
  }
  const optimization = resolveOptimizationConfig(config, DEFAULT_PPO_CONFIG);
  return Object.freeze({
    ...optimization,
    batchSize,
    numMiniBatches,
    gradientAccumulationSteps,
    miniBatchSize,
    microBatchSize: miniBatchSize / gradientAccumulationSteps,
    numPpoEpochs: requireInteger('config.numPpoEpochs', merged.numPpoEpochs, { min: 1 }),
    responseLength: requireInteger('config.responseLength', merged.responseLength, { min: 1 }),
    temperature: requireNumber('config.temperature', merged.temperature, { min: 0, exclusiveMin: true }),
    stopAtEos: requireBoolean('config.stopAtEos', merged.stopAtEos),
    missingEosPenalty:
      merged.missingEosPenalty === undefined
        ? undefined
        : requireNumber('config.missingEosPenalty', merged.missingEosPenalty, { min: 0 }),
    maxPromptLength:
      merged.maxPromptLength === undefined
        ? undefined
        : requireInteger('config.maxPromptLength', merged.maxPromptLength, { min: 1 }),
    klCoef: requireNumber('config.klCoef', merged.klCoef, { min: 0 }),
    klEstimator: requireOneOf('config.klEstimator', merged.klEstimator, KL_ESTIMATORS),
    klController: requireOneOf('config.klController', merged.klController, ['fixed', 'adaptive'] as const),
    klTarget: requireNumber('config.klTarget', merged.klTarget, { min: 0, exclusiveMin: true }),
    klHorizon: requireNumber('config.klHorizon', merged.klHorizon, { min: 0, exclusiveMin: true }),
    whitenRewards,
    gamma: requireNumber('config.gamma', merged.gamma, { min: 0, max: 1 }),
    lam: requireNumber('config.lam', merged.lam, { min: 0, max: 1 }),
    cliprange: requireNumber('config.cliprange', merged.cliprange, { min: 0 }),
    cliprangeValue: requireNumber('config.cliprangeValue', merged.cliprangeValue, { min: 0 }),
    vfCoef: requireNumber('config.vfCoef', merged.vfCoef, { min: 0 }),
    valueWarmupSteps: requireInteger('config.valueWarmupSteps', merged.valueWarmupSteps, { min: 0 }),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
    evalSteps:
      merged.evalSteps === undefined ? undefined : requireInteger('config.evalSteps', merged.evalSteps, { min: 1 }),
    samplingWorkers: resolveSamplingWorkersArgument(config),
    workers: resolveWorkers(config),
  });
}
