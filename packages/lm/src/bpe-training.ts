import { requireInteger } from '@dpo-ts/core';
import { preTokenize } from './pre-tokenize.js';

/** Number of base tokens of byte-level BPE: one per byte value. */
export const BYTE_VOCAB_SIZE = 256;

/** Options for {@link learnBPEMerges}. */
export interface LearnBPEMergesOptions {
  /** Stop after this many merges. */
  readonly numMerges: number;
  /**
   * Stop early when the most frequent pair occurs fewer times than this: a merge seen once
   * only memorises the corpus.
   * @defaultValue 2
   */
  readonly minFrequency?: number;
}

// Pair (left, right) as one number; token ids stay below 2^21 (2M tokens).
const PAIR_SHIFT = 2 ** 21;
const pairKey = (left: number, right: number): number => left * PAIR_SHIFT + right;

interface Word {
  symbols: number[];
  readonly count: number;
}

/**
 * Learns byte-level BPE merges from a corpus (Sennrich et al. 2016, with GPT-2's byte
 * alphabet and pre-tokenisation).
 *
 * 1. Pre-tokenise every text with {@link preTokenize}, count each distinct piece, and write
 *    each piece as its UTF-8 bytes (token ids 0..255).
 * 2. Repeat: count adjacent token pairs over all pieces, weighted by piece count (overlapping
 *    occurrences count: `aaa` holds the pair `a a` twice); take the most frequent pair, ties
 *    broken by the smaller left id, then the smaller right id; give it the next id
 *    (256, 257, ...); replace its occurrences in every piece left to right, without overlap
 *    (`aaa` becomes `[aa, a]`).
 *
 * Pair counts are updated incrementally, touching only the pieces that held the merged pair.
 * Deterministic: the result depends only on the multiset of pieces.
 *
 * @see Sennrich, Haddow & Birch 2016, "Neural Machine Translation of Rare Words with Subword
 *   Units", Algorithm 1; Radford et al. 2019, Sec. 2.2 (byte-level BPE).
 * @returns merges in rank order; merge i creates token `256 + i`.
 */
export function learnBPEMerges(corpus: string | Iterable<string>, options: LearnBPEMergesOptions): [number, number][] {
  const numMerges = requireInteger('numMerges', options.numMerges, { min: 0, max: PAIR_SHIFT - BYTE_VOCAB_SIZE - 1 });
  const minFrequency = requireInteger('minFrequency', options.minFrequency ?? 2, { min: 1 });

  const pieceCounts = new Map<string, number>();
  for (const text of typeof corpus === 'string' ? [corpus] : corpus) {
    for (const piece of preTokenize(text)) pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + 1);
  }
  const encoder = new TextEncoder();
  const words: Word[] = [];
  for (const [piece, count] of pieceCounts) words.push({ symbols: Array.from(encoder.encode(piece)), count });

  const pairCounts = new Map<number, number>();
  const wordsByPair = new Map<number, Set<number>>();
  const addPairs = (wordIndex: number, sign: 1 | -1): void => {
    const { symbols, count } = words[wordIndex]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      const updated = (pairCounts.get(key) ?? 0) + sign * count;
      if (updated === 0) pairCounts.delete(key);
      else pairCounts.set(key, updated);
      if (sign === 1) {
        let holders = wordsByPair.get(key);
        if (!holders) {
          holders = new Set();
          wordsByPair.set(key, holders);
        }
        holders.add(wordIndex);
      }
    }
  };
  words.forEach((_, index) => {
    addPairs(index, 1);
  });

  const merges: [number, number][] = [];
  while (merges.length < numMerges) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minFrequency) break;
    const left = Math.floor(bestKey / PAIR_SHIFT);
    const right = bestKey % PAIR_SHIFT;
    const newId = BYTE_VOCAB_SIZE + merges.length;
    merges.push([left, right]);
    // Holders may be stale (an earlier merge consumed the pair); merging is then a no-op.
    for (const wordIndex of wordsByPair.get(bestKey) ?? []) {
      addPairs(wordIndex, -1);
      const word = words[wordIndex]!;
      word.symbols = mergePair(word.symbols, left, right, newId);
      addPairs(wordIndex, 1);
    }
    wordsByPair.delete(bestKey);
  }
  return merges;
}

/**
 * Replaces every non-overlapping occurrence of `left right`, scanning left to right, by
 * `merged`. Returns a new array.
 */
export function mergePair(symbols: readonly number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}
