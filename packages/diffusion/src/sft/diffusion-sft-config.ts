import { InvalidArgumentError, requireKnownFields, requireNumber } from '@dpo-ts/core';
import {
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  resolveTrainingArguments,
  resolveWorkers,
  TRAINING_ARGUMENTS_FIELDS,
  type ParallelTrainingArguments,
  type ResolvedTrainingArguments,
  type TrainingArguments,
} from '@dpo-ts/core/training';
import type { Denoiser } from '../denoiser.js';

/**
 * Configuration of {@link DiffusionSFTTrainer}: the optimiser and data walk
 * ({@link TrainingArguments}) and the classifier-free-guidance label dropout.
 */
export interface DiffusionSFTConfig extends TrainingArguments, ParallelTrainingArguments {
  /** Peak AdamW learning rate. @defaultValue 1e-3 (what the MNIST MLP and UNet train well with) */
  readonly learningRate?: number;
  /** Shape of the learning-rate schedule over the run. @defaultValue 'constant' */
  readonly lrSchedule?: TrainingArguments['lrSchedule'];
  /** Images per micro-batch. @defaultValue 64 */
  readonly perDeviceTrainBatchSize?: number;
  /** Images per evaluation batch. @defaultValue 64 */
  readonly perDeviceEvalBatchSize?: number;
  /**
   * Probability of training an example on the null class instead of its label, so one network
   * learns the conditional and the unconditional prediction (Ho & Salimans 2022, Algorithm 1).
   * @defaultValue the denoiser's `cfgDropProb`
   */
  readonly cfgDropProb?: number;
}

/** {@link DiffusionSFTConfig} validated, every default filled in. */
export interface ResolvedDiffusionSFTConfig extends ResolvedTrainingArguments {
  /** {@inheritDoc DiffusionSFTConfig.cfgDropProb} */
  readonly cfgDropProb: number;
  /** Worker threads for a step's micro-batches (see core's `ParallelTrainingArguments.workers`). */
  readonly workers: number | 'auto';
}

/** Defaults of the SFT-specific fields. */
export const DEFAULT_DIFFUSION_SFT_CONFIG = Object.freeze({
  /** {@inheritDoc DiffusionSFTConfig.learningRate} */
  learningRate: 1e-3,
  /** {@inheritDoc DiffusionSFTConfig.lrSchedule} */
  lrSchedule: 'constant' as const,
  /** {@inheritDoc DiffusionSFTConfig.perDeviceTrainBatchSize} */
  perDeviceTrainBatchSize: 64,
  /** {@inheritDoc DiffusionSFTConfig.perDeviceEvalBatchSize} */
  perDeviceEvalBatchSize: 64,
});

const KNOWN_FIELDS = new Set<string>([
  ...TRAINING_ARGUMENTS_FIELDS,
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  ...(['cfgDropProb'] satisfies (keyof DiffusionSFTConfig)[]),
]);

/**
 * Merges `config` over the defaults and validates every field once.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got; also for an
 *   unknown field (a misspelt option would otherwise be ignored silently).
 */
export function resolveDiffusionSFTConfig(
  config: DiffusionSFTConfig,
  denoiser: Pick<Denoiser, 'config'>,
): ResolvedDiffusionSFTConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  const training = resolveTrainingArguments(config, DEFAULT_DIFFUSION_SFT_CONFIG);
  return Object.freeze({
    ...training,
    cfgDropProb: requireNumber('config.cfgDropProb', config.cfgDropProb ?? denoiser.config.cfgDropProb, {
      min: 0,
      max: 1,
    }),
    workers: resolveWorkers(config),
  });
}
