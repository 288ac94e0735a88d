import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';

/** A caption's closest training caption by shared words: {@link nearestTrainingCaptions}' entries. */
export interface NearestTrainingCaption {
  /** The caption, as given. */
  readonly caption: string;
  /** The training caption that shares the most of the caption's words (fewest other words on ties), or null when none shares a word. */
  readonly nearest: string | null;
  /** Distinct words the two share (0 when `nearest` is null). */
  readonly shared: number;
  /** Distinct words of `caption`. */
  readonly words: number;
  /** The Jaccard index of the two word sets, |A ∩ B| / |A ∪ B|, in [0, 1] (0 when `nearest` is null). */
  readonly jaccard: number;
}

/**
 * Finds, for each caption, the training caption that contains the most of its distinct words, as
 * the caption tokenizer splits them ({@link CaptionTokenizer.words}: lower case, split at anything
 * but letters and digits); among those, the one with the highest Jaccard index |A ∩ B| / |A ∪ B|
 * of the two word sets (the fewest other words), then the earlier one. A caption identical in
 * words to a training caption has Jaccard 1; one that shares no word with any has `nearest` null.
 *
 * "grinning face" finds "grinning squinting face" (both words, Jaccard 2/3) before "grinning
 * face with big eyes" (both words, 2/6) and before "face" (one word); "rock" finds nothing in a
 * list without the word.
 *
 * What it is for: a held-out caption can only be drawn from what its training neighbours
 * show. The model card prints each grid row's nearest training caption, so a reader can tell a
 * row that composes a sibling's drawing from one whose object nothing in training depicts.
 * @param captions the captions to place (held-out ones, typically).
 * @param trainingCaptions the captions to search (the training split's).
 * @returns one entry per caption, in order.
 */
export function nearestTrainingCaptions(
  captions: readonly string[],
  trainingCaptions: readonly string[],
): NearestTrainingCaption[] {
  const training = trainingCaptions.map((caption) => ({ caption, words: new Set(CaptionTokenizer.words(caption)) }));
  const containing = new Map<string, number[]>();
  training.forEach(({ words }, index) => {
    for (const word of words) {
      const list = containing.get(word);
      if (list) list.push(index);
      else containing.set(word, [index]);
    }
  });
  return captions.map((caption) => {
    const words = new Set(CaptionTokenizer.words(caption));
    const sharedBy = new Map<number, number>();
    for (const word of words)
      for (const index of containing.get(word) ?? []) sharedBy.set(index, (sharedBy.get(index) ?? 0) + 1);
    let best: { index: number; shared: number; jaccard: number } | null = null;
    for (const [index, shared] of sharedBy) {
      const jaccard = shared / (words.size + training[index]!.words.size - shared);
      const better =
        best === null ||
        shared > best.shared ||
        (shared === best.shared && (jaccard > best.jaccard || (jaccard === best.jaccard && index < best.index)));
      if (better) best = { index, shared, jaccard };
    }
    return best === null
      ? { caption, nearest: null, shared: 0, words: words.size, jaccard: 0 }
      : {
          caption,
          nearest: training[best.index]!.caption,
          shared: best.shared,
          words: words.size,
          jaccard: best.jaccard,
        };
  });
}
