import {
  DEFAULT_TRAINING_ARGUMENTS as CORE_TRAINING_ARGUMENTS,
  resolveTrainingArguments as resolveCoreTrainingArguments,
  type LRScheduleType,
  type ResolvedTrainingArguments,
  type TrainingArguments as CoreTrainingArguments,
} from '@dpo-ts/core';

export type { ResolvedTrainingArguments } from '@dpo-ts/core';

/**
 * Settings every trainer of this package shares (Diffusion-DPO, SFT / base training): core's
 * `TrainingArguments` (the optimiser, the schedule and how the data is walked, transformers'
 * names camel-cased, as `@dpo-ts/lm` uses them), with this package's defaults. Sizes count
 * examples: images for SFT, pairs for DPO.
 */
export interface TrainingArguments extends CoreTrainingArguments {
  /** @defaultValue the trainer's ('constant' for both diffusion trainers) */
  readonly lrSchedule?: LRScheduleType;
  /** Examples per micro-batch. @defaultValue the trainer's */
  readonly perDeviceTrainBatchSize?: number;
  /** Examples per evaluation batch. @defaultValue 64 */
  readonly perDeviceEvalBatchSize?: number;
}

/** The defaults a trainer supplies for {@link resolveTrainingArguments}. */
export interface TrainerDefaults {
  readonly learningRate: number;
  readonly lrSchedule: LRScheduleType;
  readonly perDeviceTrainBatchSize: number;
}

/** Defaults of the data-walking fields shared by every trainer of this package. */
export const DEFAULT_TRAINING_ARGUMENTS = Object.freeze({
  perDeviceEvalBatchSize: 64,
  gradientAccumulationSteps: CORE_TRAINING_ARGUMENTS.gradientAccumulationSteps,
  seed: CORE_TRAINING_ARGUMENTS.seed,
  saveSteps: CORE_TRAINING_ARGUMENTS.saveSteps,
  loggingSteps: CORE_TRAINING_ARGUMENTS.loggingSteps,
});

/**
 * Validates {@link TrainingArguments} once with core's `resolveTrainingArguments`, over the
 * trainer's `defaults` and {@link DEFAULT_TRAINING_ARGUMENTS}, so every trainer validates them
 * with the same rules and messages (`config.learningRate must be a finite number >= 0: got -1`).
 * @throws InvalidArgumentError naming the field, what it accepts and what it got.
 */
export function resolveTrainingArguments(config: TrainingArguments, defaults: TrainerDefaults): ResolvedTrainingArguments {
  return resolveCoreTrainingArguments(config, {
    ...DEFAULT_TRAINING_ARGUMENTS,
    learningRate: defaults.learningRate,
    lrSchedule: defaults.lrSchedule,
    perDeviceTrainBatchSize: defaults.perDeviceTrainBatchSize,
  });
}
