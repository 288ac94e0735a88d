import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/** What {@link distinctN} counted. */
export interface DistinctN {
  /** `distinct / total`; NaN when no sequence is `n` tokens long. */
  readonly rate: number;
  /** Different n-grams across all sequences. */
  readonly distinct: number;
  /** All n-grams (each sequence of length L contributes max(0, L - n + 1)). */
  readonly total: number;
}

/**
 * Distinct-n: the number of different n-grams divided by the number of n-grams, pooled over
 * a set of generations (corpus level). Low values mean repetition, within or across samples.
 * N-grams never cross sequence boundaries; tokens are compared as strings, so the caller
 * chooses the unit (words, as Li et al. did, or token ids).
 *
 * @see Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
 *   Models", Sec. 4.3 (distinct-1 and distinct-2).
 * @param sequences - tokens of each generation.
 */
export function distinctN(sequences: readonly (readonly (string | number)[])[], n: number): DistinctN {
  requireInteger('n', n, { min: 1 });
  if (!Array.isArray(sequences)) throw new InvalidArgumentError('sequences', 'an array of token arrays', sequences);
  const seen = new Set<string>();
  let total = 0;
  sequences.forEach((tokens, index) => {
    if (!Array.isArray(tokens)) throw new InvalidArgumentError(`sequences[${index}]`, 'an array of tokens', tokens);
    for (let start = 0; start + n <= tokens.length; start++) {
      // JSON keeps ["a b"] and ["a", "b"] apart, which a plain join(' ') would not.
      seen.add(JSON.stringify(tokens.slice(start, start + n)));
      total++;
    }
  });
  return { rate: total === 0 ? Number.NaN : seen.size / total, distinct: seen.size, total };
}
