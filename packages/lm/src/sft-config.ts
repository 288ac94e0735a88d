import { InvalidArgumentError, requireBoolean, requireInteger, requireKnownFields, requireOneOf } from '@dpo-ts/core';
import {
  resolveTrainingArguments,
  resolveWorkers,
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  TRAINING_ARGUMENTS_FIELDS,
  type ParallelTrainingArguments,
  type ResolvedTrainingArguments,
  type TrainingArguments,
} from '@dpo-ts/core/training';
import type { TruncationMode } from './lm-batch.js';

/**
 * Configuration of {@link SFTTrainer}: the shared {@link TrainingArguments}, `workers` (core's
 * {@link ParallelTrainingArguments}: micro-batch gradients on worker threads, for a `GPT`) and
 * the data fields of TRL's `SFTConfig` (`max_length`, `packing`, `completion_only_loss`),
 * camel-cased.
 *
 * TRL's defaults are for billion-parameter models: `learningRate` 2e-5 is far too small for
 * the tiny models that train in minutes on a CPU (the examples use ~1e-3).
 */
export interface SFTConfig extends TrainingArguments, ParallelTrainingArguments {
  /** Peak AdamW learning rate. @defaultValue 2e-5 (TRL's SFTConfig) */
  readonly learningRate?: number;
  /**
   * Longest row in tokens (BOS and EOS included); longer examples are truncated, packed
   * windows have exactly this length. At most the model's `contextLength`.
   * @defaultValue the model's `contextLength` (TRL: 1024)
   */
  readonly maxLength?: number;
  /**
   * Longest prompt of a prompt-completion example (BOS included), cut per `truncationMode`.
   * @defaultValue maxLength - 1 (cut only what cannot fit)
   */
  readonly maxPromptLength?: number;
  /** Which end of an over-long prompt survives. @defaultValue 'keep_end' */
  readonly truncationMode?: TruncationMode;
  /**
   * Score only the completion of prompt-completion examples (the prompt is context). Text
   * examples are scored whole either way.
   * @defaultValue true (TRL's `completion_only_loss=None` means true for prompt-completion data)
   */
  readonly completionOnlyLoss?: boolean;
  /**
   * Concatenate every example (`[BOS] … [EOS]` each) and cut the stream into `maxLength`
   * windows, so no position is padding (TRL's "wrapped" packing; attention crosses example
   * boundaries, as in GPT pre-training). Without it, each example is one row, right-padded.
   * @defaultValue false
   */
  readonly packing?: boolean;
}

/** {@link SFTConfig} validated against a model, every default filled in. */
export interface ResolvedSFTConfig extends ResolvedTrainingArguments {
  /** {@inheritDoc SFTConfig.maxLength} */
  readonly maxLength: number;
  /** {@inheritDoc SFTConfig.maxPromptLength} */
  readonly maxPromptLength: number;
  /** {@inheritDoc SFTConfig.truncationMode} */
  readonly truncationMode: TruncationMode;
  /** {@inheritDoc SFTConfig.completionOnlyLoss} */
  readonly completionOnlyLoss: boolean;
  /** {@inheritDoc SFTConfig.packing} */
  readonly packing: boolean;
  /** {@inheritDoc SFTConfig.workers} */
  readonly workers: number | 'auto';
}

/** Defaults of the SFT-specific fields (the shared ones are core's `DEFAULT_TRAINING_ARGUMENTS`). */
export const DEFAULT_SFT_CONFIG = Object.freeze({
  /** {@inheritDoc SFTConfig.learningRate} */
  learningRate: 2e-5,
  /** {@inheritDoc SFTConfig.truncationMode} */
  truncationMode: 'keep_end' as TruncationMode,
  /** {@inheritDoc SFTConfig.completionOnlyLoss} */
  completionOnlyLoss: true,
  /** {@inheritDoc SFTConfig.packing} */
  packing: false,
});

const KNOWN_FIELDS = new Set<string>([
  ...TRAINING_ARGUMENTS_FIELDS,
  ...PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  ...([
    'maxLength',
    'maxPromptLength',
    'truncationMode',
    'completionOnlyLoss',
    'packing',
  ] satisfies (keyof SFTConfig)[]),
]);

/**
 * Merges `config` over the defaults and validates every field once, for a model with
 * `contextLength` positions.
 * @throws InvalidArgumentError naming the field, e.g.
 *   `config.maxLength must be an integer >= 2 and <= 64: got 128 (the model's contextLength is 64)`;
 *   also for an unknown field (a misspelt option would otherwise be ignored silently).
 */
export function resolveSFTConfig(config: SFTConfig, model: { readonly contextLength: number }): ResolvedSFTConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  const training = resolveTrainingArguments(config, { learningRate: DEFAULT_SFT_CONFIG.learningRate });
  const contextLength = model.contextLength;
  const maxLength = config.maxLength ?? contextLength;
  if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > contextLength) {
    throw new InvalidArgumentError(
      'config.maxLength',
      `an integer >= 2 and <= ${contextLength}`,
      maxLength,
      `the model's contextLength is ${contextLength}`,
    );
  }
  return Object.freeze({
    ...training,
    maxLength,
    maxPromptLength: requireInteger('config.maxPromptLength', config.maxPromptLength ?? maxLength - 1, {
      min: 1,
      max: maxLength - 1,
    }),
    truncationMode: requireOneOf('config.truncationMode', config.truncationMode ?? DEFAULT_SFT_CONFIG.truncationMode, [
      'keep_end',
      'keep_start',
    ] as const),
    completionOnlyLoss: requireBoolean(
      'config.completionOnlyLoss',
      config.completionOnlyLoss ?? DEFAULT_SFT_CONFIG.completionOnlyLoss,
    ),
    packing: requireBoolean('config.packing', config.packing ?? DEFAULT_SFT_CONFIG.packing),
    workers: resolveWorkers(config),
  });
}
