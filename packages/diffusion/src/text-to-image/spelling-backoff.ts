import { requireNumber } from '@dpo-ts/core';
import { CaptionTokenizer } from './caption-tokenizer.js';

/** Options of {@link spellingBackoff}. */
export interface SpellingBackoffOptions {
  /** Smallest trigram Dice similarity for a replacement, in [0, 1]; below it the word stays (unknown). @defaultValue 0.3 */
  readonly minSimilarity?: number;
}

/** The character trigrams of `^word$` (the markers make prefixes and suffixes count), as a set. */
export function characterTrigrams(word: string): Set<string> {
  const marked = `^${word}$`;
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= marked.length; i++) trigrams.add(marked.slice(i, i + 3));
  return trigrams;
}

/** Dice similarity of two sets, 2 |a ∩ b| / (|a| + |b|); 0 for two empty sets. */
function dice(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const item of a) if (b.has(item)) shared += 1;
  return a.size + b.size === 0 ? 0 : (2 * shared) / (a.size + b.size);
}

/**
 * A back-off for words a word-level caption tokenizer does not know: each unknown word of a
 * caption is replaced by the vocabulary word spelled most alike (Dice similarity of character
 * trigrams, as fastText represents rare words by their character n-grams), when that similarity
 * is at least `minSimilarity`; ties go to the more frequent word (the lower id). Known words and
 * word order are kept; the caption comes back as the tokenizer's lower-cased words joined by
 * spaces. "watermelon" -> "melon" when only "melon" is known.
 *
 * Without it every unknown word becomes the same unknown token, so all-unknown captions
 * ("dango", "postbox") get one and the same embedding and no model can draw them. The back-off
 * changes only the prompt, not the model or its saved format. Measured on the first emoji base
 * (docs/text-to-image-base.md): it fixes plurals ("gloves" -> "glove") but misleads elsewhere
 * ("goat" -> "boat") and lowers held-out retrieval overall (0.304 -> 0.272): a diagnostic, not a fix.
 * @see Bojanowski et al. 2017 (fastText: subword n-grams for rare and unseen words).
 * @returns a function from caption to rewritten caption (it caches each word's replacement).
 * @throws InvalidArgumentError naming `minSimilarity` outside [0, 1].
 */
export function spellingBackoff(
  tokenizer: CaptionTokenizer,
  options: SpellingBackoffOptions = {},
): (caption: string) => string {
  const minSimilarity = requireNumber('minSimilarity', options.minSimilarity ?? 0.3, { min: 0, max: 1 });
  const known = new Set(tokenizer.words);
  const vocabulary = tokenizer.words.map((word) => ({ word, trigrams: characterTrigrams(word) }));
  const cache = new Map<string, string>();
  const replace = (word: string): string => {
    if (known.has(word)) return word;
    const cached = cache.get(word);
    if (cached !== undefined) return cached;
    const trigrams = characterTrigrams(word);
    let best = word;
    let bestSimilarity = minSimilarity;
    let found = false;
    for (const entry of vocabulary) {
      const similarity = dice(trigrams, entry.trigrams);
      // Strictly greater keeps the first (most frequent) word among ties.
      if (similarity > bestSimilarity || (!found && similarity === bestSimilarity && similarity > 0)) {
        best = entry.word;
        bestSimilarity = similarity;
        found = true;
      }
    }
    cache.set(word, best);
    return best;
  };
  return (caption) => CaptionTokenizer.words(caption).map(replace).join(' ');
}
