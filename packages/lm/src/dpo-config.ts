import {
  InvalidArgumentError,
  requireBoolean,
  requireInteger,
  requireKnownFields,
  requireOneOf,
  SCORE_REDUCTIONS,
  type ScoreReduction,
} from '@dpo-ts/core';
import { pickFields } from '@dpo-ts/core/training';
import {
  PREFERENCE_TRAINER_CONFIG_FIELDS,
  resolvePreferenceTrainerConfig,
  type PreferenceTrainerConfig,
  type ResolvedPreferenceRunConfig,
} from '@dpo-ts/core/preference';
import type { TruncationMode } from './lm-batch.js';

/**
 * Configuration of {@link DPOTrainer}, with TRL's `DPOConfig` names camel-cased: the loss
 * (`beta`, `lossType`, `lossWeights`, `labelSmoothing`, `referenceFree`, ... from core's
 * `PreferenceLossConfig`), the optimiser and data walk (core's `TrainingArguments`), TR-DPO
 * (`syncRefModel`, `refModelMixupAlpha`, `refModelSyncSteps`), truncation (`maxLength`,
 * `maxPromptLength`, `maxCompletionLength`, `truncationMode`) and reference precomputation
 * (`precomputeRefLogProbs`, `precomputeRefBatchSize`).
 *
 * Not implemented from TRL: `rpo_alpha` (use `lossType: ['sigmoid', 'sft'], lossWeights:
 * [1, alpha]`), `use_weighting` (WPO), `ld_alpha` (LD-DPO), `padding_free`.
 */
export interface DPOConfig extends PreferenceTrainerConfig {
  /** Peak AdamW learning rate. @defaultValue 1e-6 (TRL's DPOConfig) */
  readonly learningRate?: number;
  /**
   * Longest row, prompt + completion (BOS and EOS included). At most the model's `contextLength`.
   * @defaultValue the model's `contextLength` (TRL: 1024)
   */
  readonly maxLength?: number;
  /**
   * Longest prompt (BOS included), cut per `truncationMode`.
   * @defaultValue floor(maxLength / 2) (TRL: 512 of 1024)
   */
  readonly maxPromptLength?: number;
  /** Longest completion (EOS included); cut at its end. @defaultValue no limit beyond maxLength (TRL: None) */
  readonly maxCompletionLength?: number;
  /** Which end of an over-long prompt survives. @defaultValue 'keep_end' (TRL) */
  readonly truncationMode?: TruncationMode;
  /**
   * Score every pair with the reference once, before training, and keep the scores (on disk
   * when the trainer gets a `referenceCacheFile`, keyed by a fingerprint of the data and the
   * reference weights), instead of a reference forward pass per step.
   * @defaultValue false (TRL)
   */
  readonly precomputeRefLogProbs?: boolean;
  /** Pairs per batch when precomputing. @defaultValue perDeviceEvalBatchSize (TRL) */
  readonly precomputeRefBatchSize?: number;
  /**
   * Score of a response: `'sum'` of its token log-probs (the DPO paper's log pi(y|x), TRL) or
   * their `'mean'`. Length-normalised losses (`ipo`, `sigmoid_norm`, `sft`) divide the sum by
   * the completion length themselves; under `'mean'` the scorer passes no lengths, so they see
   * per-token scores once (not divided twice), and every other loss sees means too.
   * @defaultValue 'sum'
   */
  readonly scoreReduction?: ScoreReduction;
}

/**
 * {@link DPOConfig} validated against a model, every default filled in: core's resolved
 * preference settings (training arguments, `loss`, TR-DPO) and the LM fields, resolved once.
 */
export interface ResolvedDPOConfig extends ResolvedPreferenceRunConfig {
  /** {@inheritDoc DPOConfig.maxLength} */
  readonly maxLength: number;
  /** {@inheritDoc DPOConfig.maxPromptLength} */
  readonly maxPromptLength: number;
  /** `Infinity` when unlimited. */
  readonly maxCompletionLength: number;
  /** {@inheritDoc DPOConfig.truncationMode} */
  readonly truncationMode: TruncationMode;
  /** {@inheritDoc DPOConfig.scoreReduction} */
  readonly scoreReduction: ScoreReduction;
}

/** Defaults of the DPO-specific fields (loss and TR-DPO defaults are core's). */
export const DEFAULT_DPO_CONFIG = Object.freeze({
  /** {@inheritDoc DPOConfig.learningRate} */
  learningRate: 1e-6,
  /** {@inheritDoc DPOConfig.truncationMode} */
  truncationMode: 'keep_end' as TruncationMode,
  /** {@inheritDoc DPOConfig.precomputeRefLogProbs} */
  precomputeRefLogProbs: false,
  /** {@inheritDoc DPOConfig.scoreReduction} */
  scoreReduction: 'sum' as ScoreReduction,
});

const KNOWN_FIELDS = new Set<string>([
  ...PREFERENCE_TRAINER_CONFIG_FIELDS,
  ...([
    'maxLength',
    'maxPromptLength',
    'maxCompletionLength',
    'truncationMode',
    'precomputeRefLogProbs',
    'precomputeRefBatchSize',
    'scoreReduction',
  ] satisfies (keyof DPOConfig)[]),
]);

/**
 * Merges `config` over the defaults and validates every field once, for a model with
 * `contextLength` positions.
 * @throws InvalidArgumentError naming the field, what it accepts and what it got; also for an
 *   unknown field (`config.lerningRate must be absent (known fields: ...): got 0.001`, where it
 *   would otherwise be ignored silently), and when `precomputeRefLogProbs` and `syncRefModel`
 *   are both set (a synced reference changes, so its scores cannot be precomputed; TRL refuses
 *   the same combination).
 */
export function resolveDPOConfig(config: DPOConfig, model: { readonly contextLength: number }): ResolvedDPOConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  requireKnownFields('config', config, KNOWN_FIELDS);
  // Core's fields (training arguments, loss, TR-DPO) with DPO's default learning rate; only
  // those, since core refuses fields it does not know.
  const preference = resolvePreferenceTrainerConfig(pickFields(config, PREFERENCE_TRAINER_CONFIG_FIELDS), {
    learningRate: DEFAULT_DPO_CONFIG.learningRate,
  });
  const contextLength = model.contextLength;
  const maxLength = config.maxLength ?? contextLength;
  if (!Number.isInteger(maxLength) || maxLength < 3 || maxLength > contextLength) {
    throw new InvalidArgumentError(
      'config.maxLength',
      `an integer >= 3 and <= ${contextLength}`,
      maxLength,
      `the model's contextLength is ${contextLength}`,
    );
  }
  const precomputeRefLogProbs = requireBoolean(
    'config.precomputeRefLogProbs',
    config.precomputeRefLogProbs ?? DEFAULT_DPO_CONFIG.precomputeRefLogProbs,
  );
  if (precomputeRefLogProbs && preference.syncRefModel) {
    throw new InvalidArgumentError(
      'config.precomputeRefLogProbs',
      'false when syncRefModel is true (a synced reference changes during training)',
      true,
    );
  }
  return Object.freeze({
    ...preference,
    maxLength,
    maxPromptLength: requireInteger('config.maxPromptLength', config.maxPromptLength ?? Math.floor(maxLength / 2), {
      min: 1,
      max: maxLength - 1,
    }),
    maxCompletionLength:
      config.maxCompletionLength === undefined
        ? Infinity
        : requireInteger('config.maxCompletionLength', config.maxCompletionLength, { min: 1 }),
    truncationMode: requireOneOf('config.truncationMode', config.truncationMode ?? DEFAULT_DPO_CONFIG.truncationMode, [
      'keep_end',
      'keep_start',
    ] as const),
    precomputeRefLogProbs,
    precomputeRefBatchSize: requireInteger(
      'config.precomputeRefBatchSize',
      config.precomputeRefBatchSize ?? preference.perDeviceEvalBatchSize,
      { min: 1 },
    ),
    scoreReduction: requireOneOf(
      'config.scoreReduction',
      config.scoreReduction ?? DEFAULT_DPO_CONFIG.scoreReduction,
      SCORE_REDUCTIONS,
    ),
  });
}
