import {
  InvalidArgumentError,
  requireBoolean,
  requireInteger,
  requireKnownFields,
  requireNumber,
  requireOneOf,
} from '@dpo-ts/core';
import { PARALLEL_TRAINING_ARGUMENTS_FIELDS } from '@dpo-ts/core/training';
import {
  DEFAULT_OPTIMIZATION_CONFIG,
  definedFields,
  resolveOptimizationConfig,
  resolveWorkers,
  type LRScheduleType,
  type OptimizationConfig,
  type ParallelTrainingArguments,
  type ResolvedOptimizationConfig,
} from '@dpo-ts/core/training';
import { KL_ESTIMATORS, type KLEstimator } from '../kl-estimators.js';
import { resolveSamplingWorkersArgument, type SamplingWorkersArgument } from '../sampling-workers.js';

/** Per-condition reward normalisation (ddpo-pytorch's `per_prompt_stat_tracking`). */
export interface PerPromptStatTrackingConfig {
  /** Rewards kept per condition; the buffer persists across steps. @defaultValue 16 */
  readonly bufferSize?: number;
  /** Below this many buffered rewards the batch mean and std are used instead. @defaultValue 16 */
  readonly minCount?: number;
}

/**
 * Settings of the {@link DDPOTrainer}, named after ddpo-pytorch's `config/base.py` (camel-cased;
 * TRL's `DDPOConfig` uses the same names with `sample_` / `train_` prefixes). One step is one
 * DDPO epoch: `samplesPerStep` trajectories sampled with DDIM, rewarded, normalised, then
 * `numInnerEpochs` passes of PPO over them.
 *
 * Defaults are ddpo-pytorch's except where noted; its values for Stable Diffusion with LoRA.
 */
export interface DDPOConfig
  extends Omit<OptimizationConfig, 'warmupRatio'>,
    SamplingWorkersArgument,
    ParallelTrainingArguments {
  /** DDPO epochs (sampling rounds) of the run (`num_epochs`). */
  readonly totalSteps: number;
  /** Trajectories per step (`sample.batch_size * sample.num_batches_per_epoch * gpus`). @defaultValue 32 */
  readonly samplesPerStep?: number;
  /** Images per sampler call. @defaultValue 32 */
  readonly sampleBatchSize?: number;
  /** DDIM steps per trajectory (`sample.num_steps`). @defaultValue 50 */
  readonly numSteps?: number;
  /** DDIM eta; > 0 so every step has a log-probability (`sample.eta`). @defaultValue 1 */
  readonly eta?: number;
  /** Classifier-free guidance scale w for sampling and training (`sample.guidance_scale`, `train.cfg`). @defaultValue 5 */
  readonly guidanceScale?: number;
  /** Trajectories per minibatch: one optimiser step each (`train.batch_size` x accumulation). @defaultValue 8 */
  readonly trainBatchSize?: number;
  /** PPO passes over each step's samples (`train.num_inner_epochs`). @defaultValue 1 */
  readonly numInnerEpochs?: number;
  /** Fraction of each trajectory's steps trained on, picked at random (`train.timestep_fraction`). @defaultValue 1 */
  readonly timestepFraction?: number;
  /** PPO clip range epsilon (`train.clip_range`). @defaultValue 1e-4 */
  readonly clipRange?: number;
  /** Advantages are clipped to [-advClipMax, advClipMax] (`train.adv_clip_max`). @defaultValue 5 */
  readonly advClipMax?: number;
  /** Normalise rewards per condition; `false`: over the whole batch. @defaultValue { bufferSize: 16, minCount: 16 } */
  readonly perPromptStatTracking?: PerPromptStatTrackingConfig | false;
  /**
   * Weight of a KL(pi_theta || pi_ref) term added to the loss, per denoising step, estimated at
   * the sampled transitions. 0: none, as in DDPO; later work (DPOK, Fan et al. 2023; GRPO-style
   * `train.beta`) adds one. Needs a reference model. @defaultValue 0
   */
  readonly klCoef?: number;
  /** Estimator of the KL term (see `klPenalty`). @defaultValue 'k3' */
  readonly klEstimator?: KLEstimator;
  /** Peak AdamW learning rate. @defaultValue 3e-4 (`train.learning_rate`) */
  readonly learningRate?: number;
  /** Stepped once per optimiser step. @defaultValue 'constant' */
  readonly lrSchedule?: LRScheduleType;
  /** AdamW's decoupled weight decay. @defaultValue 1e-4 (`train.adam_weight_decay`) */
  readonly weightDecay?: number;
  /** Clip the global gradient norm to this. @defaultValue 1 (`train.max_grad_norm`) */
  readonly maxGradNorm?: number;
  /** Seed of conditions, sampling noise and shuffles. @defaultValue 42 (`seed`) */
  readonly seed?: number;
}

/** {@link DDPOConfig} validated, every default filled in. */
export interface ResolvedDDPOConfig extends Omit<ResolvedOptimizationConfig, 'warmupRatio'> {
  /** {@inheritDoc DDPOConfig.samplesPerStep} */
  readonly samplesPerStep: number;
  /** {@inheritDoc DDPOConfig.sampleBatchSize} */
  readonly sampleBatchSize: number;
  /** {@inheritDoc DDPOConfig.numSteps} */
  readonly numSteps: number;
  /** {@inheritDoc DDPOConfig.eta} */
  readonly eta: number;
  /** {@inheritDoc DDPOConfig.guidanceScale} */
  readonly guidanceScale: number;
  /** {@inheritDoc DDPOConfig.trainBatchSize} */
  readonly trainBatchSize: number;
  /** {@inheritDoc DDPOConfig.numInnerEpochs} */
  readonly numInnerEpochs: number;
  /** {@inheritDoc DDPOConfig.timestepFraction} */
  readonly timestepFraction: number;
  /** int(numSteps * timestepFraction), at least 1. */
  readonly numTrainTimesteps: number;
  /** {@inheritDoc DDPOConfig.clipRange} */
  readonly clipRange: number;
  /** {@inheritDoc DDPOConfig.advClipMax} */
  readonly advClipMax: number;
  /** {@inheritDoc DDPOConfig.perPromptStatTracking} */
  readonly perPromptStatTracking:
    | {
        /** {@inheritDoc PerPromptStatTrackingConfig.bufferSize} */
        readonly bufferSize: number;
        /** {@inheritDoc PerPromptStatTrackingConfig.minCount} */
        readonly minCount: number;
      }
    | false;
  /** {@inheritDoc DDPOConfig.klCoef} */
  readonly klCoef: number;
  /** {@inheritDoc DDPOConfig.klEstimator} */
  readonly klEstimator: KLEstimator;
  /** {@inheritDoc DDPOConfig.seed} */
  readonly seed: number;
  /** Sampling threads of `train()`, as given or `'auto'` (see {@link SamplingWorkersArgument}). */
  readonly samplingWorkers: number | 'auto';
  /**
   * Gradient threads of each optimiser update's timesteps (one micro-batch each), as given or
   * `'auto'`. An integer > 1 runs that many (at most `numTrainTimesteps`); `'auto'` runs the update
   * on the main thread, as Diffusion-DPO's trainer does: its micro-batches are too small to pay
   * for workers (measured on 2 cores: 214 ms per update on 1 thread, 327 ms on 2 workers).
   */
  readonly workers: number | 'auto';
}

// DDPO schedules warm-up in optimiser updates only (ddpo-pytorch has no warm-up ratio).
const { warmupRatio: _noWarmupRatio, ...OPTIMIZATION_DEFAULTS } = DEFAULT_OPTIMIZATION_CONFIG;

/** ddpo-pytorch's defaults (`config/base.py`), except `samplesPerStep`, `sampleBatchSize`, `trainBatchSize` sized for one CPU. */
export const DEFAULT_DDPO_CONFIG = Object.freeze({
  /** {@inheritDoc DDPOConfig.samplesPerStep} */
  samplesPerStep: 32,
  /** {@inheritDoc DDPOConfig.sampleBatchSize} */
  sampleBatchSize: 32,
  /** {@inheritDoc DDPOConfig.numSteps} */
  numSteps: 50,
  /** {@inheritDoc DDPOConfig.eta} */
  eta: 1,
  /** {@inheritDoc DDPOConfig.guidanceScale} */
  guidanceScale: 5,
  /** {@inheritDoc DDPOConfig.trainBatchSize} */
  trainBatchSize: 8,
  /** {@inheritDoc DDPOConfig.numInnerEpochs} */
  numInnerEpochs: 1,
  /** {@inheritDoc DDPOConfig.timestepFraction} */
  timestepFraction: 1,
  /** {@inheritDoc DDPOConfig.clipRange} */
  clipRange: 1e-4,
  /** {@inheritDoc DDPOConfig.advClipMax} */
  advClipMax: 5,
  /** {@inheritDoc DDPOConfig.perPromptStatTracking} */
  perPromptStatTracking: Object.freeze({
    /** {@inheritDoc PerPromptStatTrackingConfig.bufferSize} */
    bufferSize: 16,
    /** {@inheritDoc PerPromptStatTrackingConfig.minCount} */
    minCount: 16,
  }),
  /** {@inheritDoc DDPOConfig.klCoef} */
  klCoef: 0,
  /** {@inheritDoc DDPOConfig.klEstimator} */
  klEstimator: 'k3' as KLEstimator,
  ...OPTIMIZATION_DEFAULTS,
  /** {@inheritDoc DDPOConfig.learningRate} */
  learningRate: 3e-4,
  /** {@inheritDoc DDPOConfig.lrSchedule} */
  lrSchedule: 'constant' as LRScheduleType,
  /** {@inheritDoc DDPOConfig.weightDecay} */
  weightDecay: 1e-4,
  /** {@inheritDoc DDPOConfig.seed} */
  seed: 42,
});

// Every DDPOConfig field has a default but totalSteps (warmupRatio is not one: see above).
const KNOWN_FIELDS = new Set([
  'totalSteps',
  'samplingWorkers',
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  ...Object.keys(DEFAULT_DDPO_CONFIG),
]);
const STAT_TRACKING_FIELDS = ['bufferSize', 'minCount'] satisfies (keyof PerPromptStatTrackingConfig)[];

/**
 * Merges `config` over {@link DEFAULT_DDPO_CONFIG} and validates every field once.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got; also for an
 *   unknown field, at the top level or in `perPromptStatTracking` (a misspelt option would
 *   otherwise be ignored silently), and when `samplesPerStep` is not a multiple of
 *   `trainBatchSize` (ddpo-pytorch asserts the same).
 */
export function resolveDDPOConfig(config: DDPOConfig): ResolvedDDPOConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  if (typeof config.perPromptStatTracking === 'object' && config.perPromptStatTracking !== null) {
    requireKnownFields('config.perPromptStatTracking', config.perPromptStatTracking, STAT_TRACKING_FIELDS);
  }
  const merged = { ...DEFAULT_DDPO_CONFIG, ...definedFields(config) } as Required<DDPOConfig>;
  // Validated with every trainer's rules; DDPO has no warmupRatio, so it never reads one.
  const { warmupRatio: _unused, ...optimization } = resolveOptimizationConfig(
    { ...config, warmupRatio: undefined },
    DEFAULT_DDPO_CONFIG,
  );
  const samplesPerStep = requireInteger('config.samplesPerStep', merged.samplesPerStep, { min: 1 });
  const trainBatchSize = requireInteger('config.trainBatchSize', merged.trainBatchSize, { min: 1 });
  if (samplesPerStep % trainBatchSize !== 0) {
    throw new InvalidArgumentError(
      'config.samplesPerStep',
      `a multiple of trainBatchSize (${trainBatchSize})`,
      samplesPerStep,
    );
  }
  const numSteps = requireInteger('config.numSteps', merged.numSteps, { min: 1 });
  const timestepFraction = requireNumber('config.timestepFraction', merged.timestepFraction, {
    min: 0,
    max: 1,
    exclusiveMin: true,
  });
  const tracking = merged.perPromptStatTracking;
  return Object.freeze({
    ...optimization,
    samplesPerStep,
    sampleBatchSize: requireInteger('config.sampleBatchSize', merged.sampleBatchSize, { min: 1 }),
    numSteps,
    eta: requireNumber('config.eta', merged.eta, { min: 0, exclusiveMin: true }),
    guidanceScale: requireNumber('config.guidanceScale', merged.guidanceScale),
    trainBatchSize,
    numInnerEpochs: requireInteger('config.numInnerEpochs', merged.numInnerEpochs, { min: 1 }),
    timestepFraction,
    numTrainTimesteps: Math.max(1, Math.floor(numSteps * timestepFraction)),
    clipRange: requireNumber('config.clipRange', merged.clipRange, { min: 0 }),
    advClipMax: requireNumber('config.advClipMax', merged.advClipMax, { min: 0, exclusiveMin: true }),
    perPromptStatTracking:
      tracking === false
        ? false
        : Object.freeze({
            bufferSize: requireInteger('config.perPromptStatTracking.bufferSize', tracking.bufferSize ?? 16, {
              min: 1,
            }),
            minCount: requireInteger('config.perPromptStatTracking.minCount', tracking.minCount ?? 16, { min: 1 }),
          }),
    klCoef: requireNumber('config.klCoef', merged.klCoef, { min: 0 }),
    klEstimator: requireOneOf('config.klEstimator', merged.klEstimator, KL_ESTIMATORS),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
    samplingWorkers: resolveSamplingWorkersArgument(config),
    workers: resolveWorkers(config),
  });
}

/** Validates `klCoef > 0` only with a reference; called by the trainer. @internal */
export function requireReferenceForKl(config: ResolvedDDPOConfig, hasReference: boolean): void {
  requireBoolean('hasReference', hasReference);
  if (config.klCoef > 0 && !hasReference) {
    throw new InvalidArgumentError(
      'config.klCoef',
      '0 unless a referenceModel is given (the KL term compares the policy to it)',
      config.klCoef,
    );
  }
}
