import { InvalidArgumentError } from '@dpo-ts/core';
import {
  layoutCompletion,
  layoutPrompt,
  resolveLMBatchOptions,
  type LMBatch,
  type TruncationMode,
} from './lm-batch.js';
import { toSFTTextRecord, type LMSFTInput, type SFTRecord } from './sft-inputs.js';
import type { Tokenizer } from './tokenizer.js';

export type { SFTRecord } from './sft-inputs.js';

/**
 * One training row: token ids and, aligned with them, 1 where the token is a prediction
 * target. Plain arrays (nothing to dispose). The first token of a row is never scored.
 */
export interface SFTRow {
  /** Token ids of the row, `[rowLength]` (BOS first, EOS after each example; no padding yet). */
  readonly inputIds: readonly number[];
  /** 1 where `inputIds[t]` is a prediction target, else 0; same length as `inputIds`, `lossMask[0]` is 0. */
  readonly lossMask: readonly number[];
}

/** How {@link tokenizeSFTRecords} lays out rows; the data fields of a resolved `SFTConfig`. */
export interface SFTRowOptions {
  /** Longest row (BOS and EOS included); the window length when packing. */
  readonly maxLength: number;
  /** Longest prompt (BOS included). @defaultValue maxLength - 1 */
  readonly maxPromptLength?: number;
  /** @defaultValue 'keep_end' */
  readonly truncationMode?: TruncationMode;
  /** Score only completions of prompt-completion records. @defaultValue true */
  readonly completionOnlyLoss?: boolean;
  /** Concatenate all records and cut `maxLength` windows ({@link packSFTRows}). @defaultValue false */
  readonly packing?: boolean;
}

/**
 * Tokenises SFT records into rows: `[BOS] prompt completion [EOS]`, with the loss on the
 * completion and EOS (`completionOnlyLoss`, the default) or on every token after BOS. A text
 * record is a completion with an empty prompt, so the whole text is scored. Conversational rows
 * ({@link LMSFTInput}) are rendered with the tokenizer's chat template first (`toSFTTextRecord`).
 *
 * Without packing, each record is one row truncated as {@link buildLMBatch} truncates (the
 * prompt to `maxPromptLength` per `truncationMode`, then the completion's end). With packing,
 * records are not truncated: they are concatenated in order and cut into windows
 * ({@link packSFTRows}).
 *
 * @throws InvalidArgumentError naming `records[i]` for a record of neither format.
 */
export function tokenizeSFTRecords(
  records: readonly LMSFTInput[],
  tokenizer: Pick<Tokenizer, 'encode' | 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'chatTemplate'>,
  options: SFTRowOptions,
): SFTRow[] {
  if (!Array.isArray(records) || records.length === 0)
    throw new InvalidArgumentError('records', 'a non-empty array of { text } or { prompt, completion }', records);
  const packing = options.packing ?? false;
  const completionOnly = options.completionOnlyLoss ?? true;
  const layout = resolveLMBatchOptions({
    maxLength: options.maxLength,
    maxPromptLength: options.maxPromptLength,
    truncationMode: options.truncationMode,
  });
  const rows = records.map((record, index): SFTRow => {
    const text = toSFTTextRecord(record, `records[${index}]`, tokenizer.chatTemplate);
    const { prompt, completion } = encodeRecord(text, tokenizer, index);
    const promptIds = packing
      ? [tokenizer.bosTokenId, ...prompt]
      : layoutPrompt(prompt, layout, tokenizer, `records[${index}].prompt`);
    const completionIds = packing
      ? [...completion, tokenizer.eosTokenId]
      : layoutCompletion(completion, promptIds.length, layout, tokenizer);
    // BOS is never a target; prompt tokens are when the loss is not completion-only.
    const promptMask = promptIds.map((_, t) => (t > 0 && !completionOnly ? 1 : 0));
    return { inputIds: [...promptIds, ...completionIds], lossMask: [...promptMask, ...completionIds.map(() => 1)] };
  });
  return packing ? packSFTRows(rows, options.maxLength) : rows;
}

/**
 * Packs rows into fixed windows: concatenates them in order and cuts the stream every
 * `windowLength` tokens, keeping each token's loss-mask entry; a final window shorter than 2
 * tokens is dropped (it has nothing to predict). Deterministic: the same rows give the same
 * windows. Attention is not blocked at example boundaries (GPT-style pre-training).
 */
export function packSFTRows(rows: readonly SFTRow[], windowLength: number): SFTRow[] {
  if (!Number.isInteger(windowLength) || windowLength < 2)
    throw new InvalidArgumentError('windowLength', 'an integer >= 2', windowLength);
  const ids: number[] = [];
  const mask: number[] = [];
  for (const row of rows) {
    for (const id of row.inputIds) ids.push(id);
    for (const m of row.lossMask) mask.push(m);
  }
  const windows: SFTRow[] = [];
  for (let start = 0; start + 2 <= ids.length; start += windowLength) {
    windows.push({
      inputIds: ids.slice(start, start + windowLength),
      lossMask: mask.slice(start, start + windowLength),
    });
  }
  return windows;
}

/**
 * Right-pads rows into an {@link LMBatch} (PAD after each row, loss mask 0 there), to the
 * longest row or to `padToLength`. `promptLengths` is the position of each row's first scored
 * token and `completionLengths` its number of scored tokens (packed rows have no prompt:
 * their first token is context, every later one a target).
 */
export function buildSFTBatch(rows: readonly SFTRow[], padTokenId: number, padToLength?: number): LMBatch {
  if (rows.length === 0) throw new InvalidArgumentError('rows', 'a non-empty array', rows);
  const longest = Math.max(...rows.map((row) => row.inputIds.length));
  const sequenceLength = Math.max(longest, padToLength ?? 0);
  const inputIds = new Int32Array(rows.length * sequenceLength).fill(padTokenId);
  const lossMask = new Float32Array(rows.length * sequenceLength);
  rows.forEach((row, r) => {
    if (row.inputIds.length !== row.lossMask.length) {
      throw new InvalidArgumentError(
        `rows[${r}].lossMask`,
        `one entry per token (${row.inputIds.length})`,
        row.lossMask.length,
      );
    }
    inputIds.set(row.inputIds, r * sequenceLength);
    lossMask.set(row.lossMask, r * sequenceLength);
  });
  return {
    inputIds,
    lossMask,
    batchSize: rows.length,
    sequenceLength,
    promptLengths: rows.map((row) => (row.lossMask.indexOf(1) < 0 ? row.lossMask.length : row.lossMask.indexOf(1))),
    completionLengths: rows.map((row) => row.lossMask.reduce((a, b) => a + b, 0)),
  };
}

/** Scored tokens of a batch: mask entries from column 1 on (column 0 is never scored). */
export function scoredTokenCount(batch: LMBatch): number {
  let count = 0;
  for (let r = 0; r < batch.batchSize; r++) {
    for (let t = 1; t < batch.sequenceLength; t++) count += batch.lossMask[r * batch.sequenceLength + t]! > 0 ? 1 : 0;
  }
  return count;
}

/** Non-padding tokens of rows (what transformers counts as tokens seen). */
export function inputTokenCount(rows: readonly SFTRow[]): number {
  return rows.reduce((total, row) => total + row.inputIds.length, 0);
}

function encodeRecord(
  record: SFTRecord,
  tokenizer: Pick<Tokenizer, 'encode'>,
  index: number,
): { prompt: number[]; completion: number[] } {
  const value = record as Partial<Record<'text' | 'prompt' | 'completion', unknown>> | null;
  if (value !== null && typeof value === 'object' && typeof value.text === 'string')
    return { prompt: [], completion: tokenizer.encode(value.text) };
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof value.prompt === 'string' &&
    typeof value.completion === 'string'
  ) {
    return { prompt: tokenizer.encode(value.prompt), completion: tokenizer.encode(value.completion) };
  }
  throw new InvalidArgumentError(
    `records[${index}]`,
    '{ text: string } or { prompt: string, completion: string }',
    record,
  );
}
