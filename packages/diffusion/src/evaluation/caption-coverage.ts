import { requireInteger } from '@dpo-ts/core';
import { CAPTION_PAD_ID, CAPTION_UNKNOWN_ID, type CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';

/** How much of a caption a tokenizer knows: {@link captionCoverage}'s per-caption result. */
export type CaptionCoverage = 'known' | 'partly-known' | 'unknown';

/**
 * Sorts captions by how many of their words the model's tokenizer knows: `'known'` (every word
 * in the vocabulary), `'partly-known'` (some), `'unknown'` (none: every token is
 * {@link CAPTION_UNKNOWN_ID}, so the caption encoder sees the same input for all of them and no
 * model can tell "watermelon" from "postbox"). Held-out captions of a word-level tokenizer built
 * from the training captions fall in all three; report alignment per group, since an unknown
 * caption is out of reach of any model with that tokenizer. An empty caption counts as known.
 * With a version-2 tokenizer (WordNet features) a word counts as known when it has any feature
 * (its own id or a synset the training captions reach): `'unknown'` then means that no word of
 * the caption has a feature at all, and `'known'` includes unseen words WordNet places.
 * @param maxLength - tokens per caption, as the caption encoder reads them (`encoder.config.maxLength`).
 * @returns one entry per caption, in order.
 */
export function captionCoverage(
  tokenizer: CaptionTokenizer,
  captions: readonly string[],
  maxLength: number,
): CaptionCoverage[] {
  requireInteger('maxLength', maxLength, { min: 1 });
  return captions.map((caption) => {
    const ids = Array.from(tokenizer.encode(caption, maxLength)).filter((id) => id !== CAPTION_PAD_ID);
    const unknown = ids.filter((id) => id === CAPTION_UNKNOWN_ID).length;
    if (unknown === 0) return 'known';
    return unknown === ids.length ? 'unknown' : 'partly-known';
  });
}
