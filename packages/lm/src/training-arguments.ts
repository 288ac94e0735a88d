import { resolveTrainingArguments as resolveCoreTrainingArguments, type ResolvedTrainingArguments, type TrainingArguments } from '@dpo-ts/core';

export { DEFAULT_TRAINING_ARGUMENTS, type TrainingArguments, type ResolvedTrainingArguments } from '@dpo-ts/core';

/**
 * Validates core's {@link TrainingArguments} once for a trainer of this package whose default
 * learning rate is `defaultLearningRate` (SFT 2e-5, DPO 1e-6, as TRL); every other default is
 * transformers' (core's `DEFAULT_OPTIMIZATION_CONFIG` and `DEFAULT_TRAINING_ARGUMENTS`).
 * @throws InvalidArgumentError naming the field, what it accepts and what it got
 *   (`config.learningRate must be a finite number >= 0: got -1`).
 */
export function resolveTrainingArguments(config: TrainingArguments, defaultLearningRate: number): ResolvedTrainingArguments {
  return resolveCoreTrainingArguments(config, { learningRate: defaultLearningRate });
}
