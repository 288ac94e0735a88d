import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';

/** One caption and the captions one word away from it: {@link oneWordSiblings}' entries. */
export interface CaptionSiblings {
  /** The caption, as given. */
  readonly caption: string;
  /** Captions of the same list with as many words that differ from it in exactly one word, in list order. */
  readonly siblings: readonly string[];
}

/**
 * Pairs each caption with its one-word siblings: the other captions whose word sequences, as
 * the caption tokenizer splits them ({@link CaptionTokenizer.words}: lower case, split at
 * anything but letters and digits), have the same length and differ in exactly one position.
 * "up arrow" and "down arrow" are siblings, and so are "speaker low volume" and "speaker medium
 * volume", or "flag: France" and "flag: Chile"; "grinning face" and "grinning face with big eyes"
 * are not (five words against two). Siblings share every word but one, so captions of one
 * word have none ("clock" and "rock" share nothing). Captions with the same words are one
 * caption (the first wins); captions without a sibling are left out.
 *
 * What it is for: a text-conditioned denoiser that tells siblings apart has learnt the word
 * that differs, the resolution a held-out caption needs whose training neighbours are one word
 * away (scripts/emoji-t2i-caption-sensitivity.ts measures it).
 * @returns the captions that have a sibling, in list order, each with its siblings in list order.
 */
export function oneWordSiblings(captions: readonly string[]): CaptionSiblings[] {
  const seen = new Set<string>();
  const unique: { caption: string; words: string[] }[] = [];
  for (const caption of captions) {
    const words = CaptionTokenizer.words(caption);
    const key = words.join(' ');
    if (words.length < 2 || seen.has(key)) continue;
    seen.add(key);
    unique.push({ caption, words });
  }
  // Bucket by (length, position, the words elsewhere): siblings share a bucket at the position that differs.
  const buckets = new Map<string, number[]>();
  unique.forEach(({ words }, index) => {
    words.forEach((_, position) => {
      const key = `${words.length}\u0000${position}\u0000${words.map((w, i) => (i === position ? '' : w)).join('\u0000')}`;
      const bucket = buckets.get(key);
      if (bucket) bucket.push(index);
      else buckets.set(key, [index]);
    });
  });
  const siblingsOf = unique.map(() => new Set<number>());
  for (const bucket of buckets.values())
    for (const a of bucket) for (const b of bucket) if (a !== b) siblingsOf[a]!.add(b);
  return unique.flatMap(({ caption }, index) => {
    const siblings = [...siblingsOf[index]!].sort((a, b) => a - b).map((i) => unique[i]!.caption);
    return siblings.length > 0 ? [{ caption, siblings }] : [];
  });
}
