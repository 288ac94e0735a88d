import {
  layoutCompletion,
  layoutPrompt,
  packRows,
  resolveLMBatchOptions,
  type BatchSpecialTokens,
  type LMBatch,
  type LMBatchOptions,
} from './lm-batch.js';
import type { Tokenizer } from './tokenizer.js';

/** A tokenised preference pair (no BOS/EOS: the batch builder adds them). */
export interface TokenizedPreferenceExample {
  /** Token ids of the prompt, already truncated per the layout. */
  readonly prompt: readonly number[];
  /** Token ids of the chosen completion (truncated; EOS not yet added). */
  readonly chosen: readonly number[];
  /** Token ids of the rejected completion (truncated; EOS not yet added). */
  readonly rejected: readonly number[];
}

/**
 * A batch of preference pairs as ONE concatenated batch of `2 * numPairs` rows, so policy and
 * reference each score it in a single forward pass: rows `0 .. numPairs - 1` are
 * prompt + chosen, rows `numPairs .. 2 numPairs - 1` prompt + rejected, pair i in rows i and
 * `numPairs + i`. Layout, padding and loss mask as {@link LMBatch} (`batchSize = 2 numPairs`).
 *
 * The two rows of a pair share the same (truncated) prompt.
 */
export interface LMPreferenceBatch extends LMBatch {
  /** Number of pairs; half of `batchSize`. */
  readonly numPairs: number;
}

/**
 * Builds an {@link LMPreferenceBatch}: for each pair, the prompt is laid out once (truncated to
 * `maxPromptLength` with BOS, per `truncationMode`), then chosen and rejected are each given
 * EOS and truncated to fit `maxLength` as in {@link buildLMBatch}. Rows are right-padded to
 * the longest row of the whole batch (or to `maxLength` with `padToMaxLength`).
 *
 * @see TRL `DPOTrainer.concatenated_inputs` (chosen rows first, then rejected) and its
 *   `truncation_mode`.
 * @example
 * const batch = buildPreferenceBatch(pairs.map((p) => tokenizePreferenceExample(tokenizer, p)), tokenizer, { maxLength: 64, maxPromptLength: 32 });
 */
export function buildPreferenceBatch(
  examples: readonly TokenizedPreferenceExample[],
  tokens: BatchSpecialTokens,
  options: LMBatchOptions,
): LMPreferenceBatch {
  const resolved = resolveLMBatchOptions(options);
  const chosenRows = [];
  const rejectedRows = [];
  for (const [index, example] of examples.entries()) {
    const prompt = layoutPrompt(example.prompt, resolved, tokens, `examples[${index}].prompt`);
    chosenRows.push({ prompt, completion: layoutCompletion(example.chosen, prompt.length, resolved, tokens) });
    rejectedRows.push({ prompt, completion: layoutCompletion(example.rejected, prompt.length, resolved, tokens) });
  }
  return { ...packRows([...chosenRows, ...rejectedRows], resolved, tokens.padTokenId), numPairs: examples.length };
}

/**
 * Encodes a text preference pair (TRL's standard format, as core's `PreferenceRecord`) without
 * special tokens; {@link buildPreferenceBatch} adds BOS and EOS.
 */
export function tokenizePreferenceExample(
  tokenizer: Tokenizer,
  example: { readonly prompt: string; readonly chosen: string; readonly rejected: string },
): TokenizedPreferenceExample {
  return {
    prompt: tokenizer.encode(example.prompt),
    chosen: tokenizer.encode(example.chosen),
    rejected: tokenizer.encode(example.rejected),
  };
}
