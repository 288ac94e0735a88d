import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@dpo-ts/core';
import { fingerprintJson } from '@dpo-ts/core/preference';
import type { BatchSpecialTokens, TruncationMode } from './lm-batch.js';
import { tokenizerFingerprint } from './tokenizer-fingerprint.js';
import { buildPreferenceBatch, type LMPreferenceBatch, type TokenizedPreferenceExample } from './preference-batch.js';
import { toPreferenceTextRecord, type LMPreferenceInput } from './preference-inputs.js';
import type { Tokenizer } from './tokenizer.js';

export type { PreferenceTextRecord } from './preference-inputs.js';

/** How pairs are truncated into rows; the layout fields of a resolved `DPOConfig`. */
export interface PreferenceLayout {
  /** {@inheritDoc DPOConfig.maxLength} */
  readonly maxLength: number;
  /** {@inheritDoc DPOConfig.maxPromptLength} */
  readonly maxPromptLength: number;
  /** `Infinity` for no limit beyond `maxLength`. */
  readonly maxCompletionLength: number;
  /** {@inheritDoc DPOConfig.truncationMode} */
  readonly truncationMode: TruncationMode;
}

/**
 * A preference batch that knows which pairs it holds: `keys[i]` identifies pair i (its split,
 * index and content hash), for reference-score caches.
 */
export interface DPOBatch extends LMPreferenceBatch {
  /** Stable key of each pair of the batch, in row order (`"<split>:<index>:<hash>"`), the reference cache's keys. */
  readonly keys: readonly string[];
}

/**
 * A tokenised preference dataset with stable per-pair keys and a fingerprint of everything
 * that determines its reference scores.
 */
export interface TokenizedPreferenceDataset {
  /** Name of the split (`'train'`, `'eval'`), part of every key. */
  readonly split: string;
  /** The pairs as token ids (no BOS/EOS yet), in dataset order. */
  readonly examples: readonly TokenizedPreferenceExample[];
  /** `"<split>:<index>:<first 16 hex digits of SHA-256 of the pair's token ids>"`, one per pair. */
  readonly keys: readonly string[];
  /** SHA-256 over the split name, the layout and every pair's token ids (core's `fingerprintJson`). */
  readonly fingerprint: string;
  /** Fingerprint of the tokenizer that made the ids (see {@link tokenizerFingerprint}). */
  readonly tokenizerFingerprint: string;
  /** The truncation settings the batches apply (part of the fingerprint). */
  readonly layout: PreferenceLayout;
}

/**
 * Tokenises pairs once (no special tokens; batches add BOS and EOS) and fingerprints the
 * result together with the truncation settings. Rows in any of TRL's preference formats
 * ({@link LMPreferenceInput}: implicit prompts, conversational rows with the tokenizer's chat
 * template) are first made text pairs with `toPreferenceTextRecord`: two datasets with the same fingerprint give
 * the same rows, hence the same reference scores.
 *
 * @throws InvalidArgumentError naming `records[i].<field>` for a missing or non-string field,
 *   or an empty prompt.
 */
export function tokenizePreferenceDataset(
  records: readonly LMPreferenceInput[],
  tokenizer: Pick<Tokenizer, 'encode'> &
    Partial<Pick<Tokenizer, 'toJSON' | 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'chatTemplate'>>,
  layout: PreferenceLayout,
  split: string,
): TokenizedPreferenceDataset {
  if (!Array.isArray(records) || records.length === 0)
    throw new InvalidArgumentError(`${split}Dataset`, 'a non-empty array of { prompt, chosen, rejected }', records);
  const examples = records.map((input, index): TokenizedPreferenceExample => {
    const record = toPreferenceTextRecord(input, `${split}Dataset[${index}]`, tokenizer.chatTemplate);
    for (const field of ['prompt', 'chosen', 'rejected'] as const) {
      if (typeof record?.[field] !== 'string')
        throw new InvalidArgumentError(`${split}Dataset[${index}].${field}`, 'a string', record?.[field]);
    }
    if (record.prompt.length === 0)
      throw new InvalidArgumentError(`${split}Dataset[${index}].prompt`, 'a non-empty string', record.prompt);
    return {
      prompt: tokenizer.encode(record.prompt),
      chosen: tokenizer.encode(record.chosen),
      rejected: tokenizer.encode(record.rejected),
    };
  });
  const keys = examples.map((example, index) => {
    const hash = createHash('sha256')
      .update(JSON.stringify([example.prompt, example.chosen, example.rejected]))
      .digest('hex');
    return `${split}:${index}:${hash.slice(0, 16)}`;
  });
  const serialisedLayout = {
    ...layout,
    maxCompletionLength: Number.isFinite(layout.maxCompletionLength) ? layout.maxCompletionLength : 'none',
  };
  const fingerprint = fingerprintJson({
    format: 'dpo-ts.lm-preference-dataset',
    version: 1,
    split,
    layout: serialisedLayout,
    examples,
  });
  return { split, examples, keys, fingerprint, tokenizerFingerprint: tokenizerFingerprint(tokenizer), layout };
}

/**
 * The batch of the pairs at `indices`: one concatenated `[2n, T]` batch (chosen rows, then
 * rejected rows; see {@link buildPreferenceBatch}) with their keys.
 */
export function buildDPOBatch(
  dataset: TokenizedPreferenceDataset,
  indices: readonly number[],
  tokens: BatchSpecialTokens,
): DPOBatch {
  const { layout } = dataset;
  const examples = indices.map((index) => {
    const example = dataset.examples[index];
    if (example === undefined)
      throw new InvalidArgumentError('indices', `indices in [0, ${dataset.examples.length})`, index);
    return example;
  });
  const batch = buildPreferenceBatch(examples, tokens, {
    maxLength: layout.maxLength,
    maxPromptLength: layout.maxPromptLength,
    ...(Number.isFinite(layout.maxCompletionLength) ? { maxCompletionLength: layout.maxCompletionLength } : {}),
    truncationMode: layout.truncationMode,
  });
  return { ...batch, keys: indices.map((index) => dataset.keys[index]!) };
}
