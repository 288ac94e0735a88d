import { InvalidArgumentError } from '@dpo-ts/core';
import type { PreferenceRecord } from '@dpo-ts/core/data';
import { buildPreferenceBatch, type LMPreferenceBatch, type Tokenizer } from '@dpo-ts/lm';

/** A tokenised preference pair with its margin, ready for {@link buildRewardBatch}. */
export interface TokenizedRewardPair {
  /** Prompt ids, no special tokens. */
  readonly prompt: readonly number[];
  /** Chosen completion ids, no special tokens. */
  readonly chosen: readonly number[];
  /** Rejected completion ids, no special tokens. */
  readonly rejected: readonly number[];
  /** The record's `margin` field, 0 when absent. */
  readonly margin: number;
}

/** What {@link tokenizeRewardPairs} returns. */
export interface TokenizedRewardPairs {
  /** Pairs whose rows fit `maxLength`. */
  readonly pairs: TokenizedRewardPair[];
  /** Positions (in the input) of the pairs dropped because a row was longer than `maxLength`. */
  readonly droppedIndices: number[];
}

/**
 * Tokenises text preference records for reward-model training and drops, as TRL's
 * `RewardTrainer` does (`max_length` filter), every pair whose chosen or rejected row,
 * `[BOS] prompt completion [EOS]`, is longer than `maxLength` tokens. Truncating instead would
 * cut the EOS that the reward is read at.
 *
 * The optional `margin` field (TRL's) must be a finite number when present; a record without
 * one has margin 0.
 *
 * @throws InvalidArgumentError naming `records[i].extra.margin` for a non-numeric margin.
 */
export function tokenizeRewardPairs(
  tokenizer: Tokenizer,
  records: readonly PreferenceRecord<string, string>[],
  maxLength: number,
): TokenizedRewardPairs {
  const pairs: TokenizedRewardPair[] = [];
  const droppedIndices: number[] = [];
  records.forEach((record, index) => {
    const rawMargin = record.extra.margin;
    if (rawMargin !== undefined && (typeof rawMargin !== 'number' || !Number.isFinite(rawMargin))) {
      throw new InvalidArgumentError(`records[${index}].extra.margin`, 'a finite number (or absent)', rawMargin);
    }
    const prompt = tokenizer.encode(record.prompt);
    const chosen = tokenizer.encode(record.chosen);
    const rejected = tokenizer.encode(record.rejected);
    // BOS + prompt + completion + EOS
    if (prompt.length + Math.max(chosen.length, rejected.length) + 2 > maxLength) {
      droppedIndices.push(index);
      return;
    }
    pairs.push({ prompt, chosen, rejected, margin: rawMargin ?? 0 });
  });
  return { pairs, droppedIndices };
}

/** A batch of reward pairs: the concatenated preference rows and the per-pair margins. */
export interface RewardBatch {
  /** `2N` rows: every chosen row, then every rejected row (`buildPreferenceBatch`). */
  readonly rows: LMPreferenceBatch;
  /** Margin per pair, `[N]`. */
  readonly margins: Float32Array;
  /** Whether any pair has a non-zero margin (otherwise the loss skips the term, as TRL without a margin column). */
  readonly hasMargins: boolean;
}

/**
 * Lays out pairs as one concatenated batch (chosen rows first, then rejected; BOS and EOS
 * added, right-padded to the longest row) with their margins. Pairs must already fit
 * `maxLength` ({@link tokenizeRewardPairs} ensures it).
 */
export function buildRewardBatch(
  pairs: readonly TokenizedRewardPair[],
  tokenizer: Pick<Tokenizer, 'padTokenId' | 'bosTokenId' | 'eosTokenId'>,
  maxLength: number,
): RewardBatch {
  if (pairs.length === 0) throw new InvalidArgumentError('pairs', 'a non-empty array', pairs);
  const rows = buildPreferenceBatch(pairs, tokenizer, { maxLength, addBos: true, addEos: true });
  const margins = Float32Array.from(pairs, (pair) => pair.margin);
  return { rows, margins, hasMargins: margins.some((m) => m !== 0) };
}
