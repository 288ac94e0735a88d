import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireBoolean, requireInteger, requireOneOf } from '@dpo-ts/core';
import type { Tokenizer } from './tokenizer.js';

/**
 * Which end of an over-long prompt survives, with TRL's names: `'keep_end'` (the default, as
 * in TRL) drops tokens from the start, keeping the text right before the completion;
 * `'keep_start'` drops them from the end.
 */
export type TruncationMode = 'keep_end' | 'keep_start';

/** A tokenised prompt and completion (no BOS/EOS: the batch builder adds them). */
export interface TokenizedPromptCompletion {
  /** Prompt token ids; may be empty only when BOS is added (a row's first token is never scored). */
  readonly prompt: readonly number[];
  /** Completion token ids, the scored part of the row. */
  readonly completion: readonly number[];
}

/** How rows are laid out, truncated and padded; see {@link buildLMBatch}. */
export interface LMBatchOptions {
  /** Longest row, prompt + completion (BOS and EOS included). At most the model's `contextLength`. */
  readonly maxLength: number;
  /**
   * Longest prompt (BOS included), truncated per `truncationMode`. Must be below `maxLength`.
   * @defaultValue maxLength - 1 (truncate only what cannot fit; set it lower to reserve room for completions)
   */
  readonly maxPromptLength?: number;
  /** Longest completion (EOS included); further tokens are cut from its end. @defaultValue no limit beyond maxLength */
  readonly maxCompletionLength?: number;
  /** See {@link TruncationMode}; applies to the prompt. @defaultValue 'keep_end' */
  readonly truncationMode?: TruncationMode;
  /** Prepend `bosTokenId` to every prompt (after truncation, so it is never cut). @defaultValue true */
  readonly addBos?: boolean;
  /** Append `eosTokenId` to every completion (before truncation: a cut completion has no EOS). @defaultValue true */
  readonly addEos?: boolean;
  /** Pad every batch to `maxLength` (constant shapes) instead of to its longest row. @defaultValue false */
  readonly padToMaxLength?: boolean;
}

/** The special token ids a batch needs; any {@link Tokenizer} has them. */
export type BatchSpecialTokens = Pick<Tokenizer, 'padTokenId' | 'bosTokenId' | 'eosTokenId'>;

/**
 * Rows of prompt + completion token ids, right-padded, with a loss mask; plain typed arrays
 * (no tensors, so nothing to dispose, and cheap to keep, cache or send to a worker). Make
 * tensors with {@link lmBatchTensors}.
 *
 * Row r occupies `inputIds[r * sequenceLength .. (r + 1) * sequenceLength)`: its prompt
 * (`promptLengths[r]` tokens, BOS first), its completion (`completionLengths[r]` tokens, EOS
 * last unless truncated), then PAD. `lossMask` is 1 exactly on the completion tokens.
 */
export interface LMBatch {
  /** int32, row-major `[batchSize, sequenceLength]`. */
  readonly inputIds: Int32Array;
  /** float32 0/1, same layout: 1 on completion tokens. */
  readonly lossMask: Float32Array;
  /** Rows in the batch, one per example, >= 1. */
  readonly batchSize: number;
  /** Length of every row: the longest prompt + completion, or `maxLength` with `padToMaxLength`. */
  readonly sequenceLength: number;
  /** Prompt tokens kept per row (BOS included). */
  readonly promptLengths: readonly number[];
  /** Completion tokens kept per row (EOS included): the number of scored tokens. */
  readonly completionLengths: readonly number[];
}

/** Options with defaults applied and checked. @internal */
export interface ResolvedLMBatchOptions extends Required<Omit<LMBatchOptions, 'maxCompletionLength'>> {
  readonly maxCompletionLength: number;
}

/** Validates {@link LMBatchOptions} once, naming the field on error. @internal */
export function resolveLMBatchOptions(options: LMBatchOptions): ResolvedLMBatchOptions {
  const maxLength = requireInteger('options.maxLength', options.maxLength, { min: 2 });
  const maxPromptLength = requireInteger('options.maxPromptLength', options.maxPromptLength ?? maxLength - 1, {
    min: 1,
    max: maxLength - 1,
  });
  return {
    maxLength,
    maxPromptLength,
    maxCompletionLength: requireInteger('options.maxCompletionLength', options.maxCompletionLength ?? maxLength, {
      min: 0,
    }),
    truncationMode: requireOneOf('options.truncationMode', options.truncationMode ?? 'keep_end', [
      'keep_end',
      'keep_start',
    ] as const),
    addBos: requireBoolean('options.addBos', options.addBos ?? true),
    addEos: requireBoolean('options.addEos', options.addEos ?? true),
    padToMaxLength: requireBoolean('options.padToMaxLength', options.padToMaxLength ?? false),
  };
}

/**
 * The prompt a row starts with: truncated to `maxPromptLength` (BOS counted) from the side
 * `truncationMode` gives up, then BOS prepended. Throws when nothing would be left: the first
 * token of a row is never scored, so a completion needs at least one token before it.
 * @internal
 */
export function layoutPrompt(
  prompt: readonly number[],
  options: ResolvedLMBatchOptions,
  tokens: BatchSpecialTokens,
  argument: string,
): number[] {
  const room = options.maxPromptLength - (options.addBos ? 1 : 0);
  const kept =
    prompt.length <= room
      ? prompt.slice()
      : options.truncationMode === 'keep_end'
        ? prompt.slice(prompt.length - room)
        : prompt.slice(0, room);
  const laidOut = options.addBos ? [tokens.bosTokenId, ...kept] : kept;
  if (laidOut.length === 0)
    throw new InvalidArgumentError(
      argument,
      'at least one token (or addBos: true)',
      prompt,
      'the first token of a row is never scored',
    );
  return laidOut;
}

/** The completion after EOS and truncation to what fits after a prompt of `promptLength`. @internal */
export function layoutCompletion(
  completion: readonly number[],
  promptLength: number,
  options: ResolvedLMBatchOptions,
  tokens: BatchSpecialTokens,
): number[] {
  const withEos = options.addEos ? [...completion, tokens.eosTokenId] : completion.slice();
  return withEos.slice(0, Math.min(options.maxCompletionLength, options.maxLength - promptLength));
}

/** Packs laid-out rows into an {@link LMBatch}, right-padded with PAD. @internal */
export function packRows(
  rows: readonly { prompt: readonly number[]; completion: readonly number[] }[],
  options: ResolvedLMBatchOptions,
  padTokenId: number,
): LMBatch {
  if (rows.length === 0) throw new InvalidArgumentError('examples', 'a non-empty array', rows);
  const longest = Math.max(...rows.map((row) => row.prompt.length + row.completion.length));
  const sequenceLength = options.padToMaxLength ? options.maxLength : longest;
  const inputIds = new Int32Array(rows.length * sequenceLength).fill(padTokenId);
  const lossMask = new Float32Array(rows.length * sequenceLength);
  rows.forEach(({ prompt, completion }, r) => {
    const start = r * sequenceLength;
    inputIds.set(prompt, start);
    inputIds.set(completion, start + prompt.length);
    lossMask.fill(1, start + prompt.length, start + prompt.length + completion.length);
  });
  return {
    inputIds,
    lossMask,
    batchSize: rows.length,
    sequenceLength,
    promptLengths: rows.map((row) => row.prompt.length),
    completionLengths: rows.map((row) => row.completion.length),
  };
}

/**
 * Builds a right-padded batch of prompt + completion rows for SFT or for scoring sampled
 * completions: `[BOS] prompt completion [EOS] PAD…` per row, loss mask 1 on completion and
 * EOS.
 *
 * Truncation, in this order: the prompt to `maxPromptLength` (BOS included; `truncationMode`
 * decides which end survives, TRL's `keep_end` by default); then the completion (EOS included)
 * to `min(maxCompletionLength, maxLength - promptLength)`, always cutting its end.
 *
 * @see TRL `DPOTrainer` / `SFTTrainer` truncation (`max_length`, `max_prompt_length`,
 *   `max_completion_length`, `truncation_mode`).
 */
export function buildLMBatch(
  examples: readonly TokenizedPromptCompletion[],
  tokens: BatchSpecialTokens,
  options: LMBatchOptions,
): LMBatch {
  const resolved = resolveLMBatchOptions(options);
  const rows = examples.map((example, index) => {
    const prompt = layoutPrompt(example.prompt, resolved, tokens, `examples[${index}].prompt`);
    return { prompt, completion: layoutCompletion(example.completion, prompt.length, resolved, tokens) };
  });
  return packRows(rows, resolved, tokens.padTokenId);
}

/**
 * Tensors of a batch: `inputIds` int32 `[batchSize, sequenceLength]` and `lossMask` float32,
 * same shape. New tensors; the caller disposes them.
 */
export function lmBatchTensors(batch: LMBatch): {
  /** int32 token ids `[batchSize, sequenceLength]`. */
  inputIds: tf.Tensor2D;
  /** float32 `[batchSize, sequenceLength]`, 1 on completion tokens. */
  lossMask: tf.Tensor2D;
} {
  const shape: [number, number] = [batch.batchSize, batch.sequenceLength];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    lossMask: tf.tensor2d(batch.lossMask, shape, 'float32'),
  };
}
