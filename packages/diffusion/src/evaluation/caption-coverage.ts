import { requireInteger } from '@dpo-ts/core';
import { CAPTION_PAD_ID, CAPTION_UNKNOWN_ID, type CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';

/** How much of a caption a tokenizer knows: {@link captionCoverage}'s per-caption result. */
export type CaptionCoverage = 'known' | 'wordnet' | 'partly-known' | 'unknown';

/** The groups of {@link CaptionCoverage}, from most to least known (the order reports list them in). */
export const CAPTION_COVERAGE_GROUPS: readonly CaptionCoverage[] = Object.freeze([
  'known',
  'wordnet',
  'partly-known',
  'unknown',
]);

/**
 * Sorts captions by how many of their words the model's tokenizer knows: `'known'` (every word
 * in the vocabulary), `'partly-known'` (some), `'unknown'` (none: every token is
 * {@link CAPTION_UNKNOWN_ID}, so the caption encoder sees the same input for all of them and no
 * model can tell "watermelon" from "postbox"). Held-out captions of a word-level tokenizer built
 * from the training captions fall in all three; report alignment per group, since an unknown
 * caption is out of reach of any model with that tokenizer. An empty caption counts as known.
 * With a version-2 tokenizer (WordNet features) a word counts as known when it has any feature
 * (its own id or a synset the training captions reach), and a fourth group appears: `'wordnet'`,
 * every word has a feature but at least one is not in the vocabulary (WordNet alone places it,
 * the case those features are for); `'unknown'` then means that no word of the caption has a
 * feature at all. A version-1 tokenizer never gives `'wordnet'`.
 * @param maxLength - tokens per caption, as the caption encoder reads them (`encoder.config.maxLength`,
 *   a multiple of the tokenizer's `featuresPerWord`).
 * @returns one entry per caption, in order.
 * @throws InvalidArgumentError naming `maxLength` when it is not a positive multiple of `featuresPerWord`.
 */
export function captionCoverage(
  tokenizer: CaptionTokenizer,
  captions: readonly string[],
  maxLength: number,
): CaptionCoverage[] {
  requireInteger('maxLength', maxLength, { min: 1 });
  const perWord = tokenizer.featuresPerWord;
  // Ids below this are words (or padding / unknown); from it on, WordNet synsets.
  const firstSynsetId = tokenizer.words.length + 2;
  return captions.map((caption) => {
    const ids = tokenizer.encode(caption, maxLength);
    // The first id of each word slot: the word's id, its nearest synset's, or unknown.
    const firsts = Array.from({ length: maxLength / perWord }, (_, slot) => ids[slot * perWord]!).filter(
      (id) => id !== CAPTION_PAD_ID,
    );
    const unknown = firsts.filter((id) => id === CAPTION_UNKNOWN_ID).length;
    if (unknown === 0) return firsts.some((id) => id >= firstSynsetId) ? 'wordnet' : 'known';
    return unknown === firsts.length ? 'unknown' : 'partly-known';
  });
}
