/**
 * GPT-2's pre-tokenisation pattern: English contractions, runs of letters, runs of digits and
 * runs of other symbols, each with at most one leading space, and whitespace runs (a
 * whitespace run before a word leaves its last space to the word). BPE merges never cross the
 * boundaries it draws, so `" the"` and `"the."` share the token for `the`.
 *
 * Every character belongs to exactly one piece (the last alternative catches any whitespace,
 * the one before it any other symbol), so joining the pieces gives the input back.
 *
 * @see Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", Sec. 2.2;
 *   the pattern is `encoder.py`'s in openai/gpt-2.
 */
export const GPT2_PRE_TOKENIZE_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Splits `text` into GPT-2 pre-tokens; `preTokenize(text).join('') === text` for any string.
 *
 * @example
 * preTokenize("Hello, world's  end"); // ['Hello', ',', ' world', "'s", ' ', ' end']
 */
export function preTokenize(text: string): string[] {
  // A fresh RegExp per call: a shared /g pattern carries lastIndex state between callers.
  return text.match(new RegExp(GPT2_PRE_TOKENIZE_PATTERN)) ?? [];
}
