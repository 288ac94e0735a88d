import { Rng } from '@dpo-ts/core/training';
import type { LabelledText } from './sentiment-classifier.js';

/**
 * Frequent function words and punctuation that carry no sentiment of their own: the suffixes of
 * {@link neutralSuffixCopies}. The audit of issue #13 found " and" and "!" to be the labeler's
 * strongest single-token levers; the rest are the commonest words of the UCI sentences that no
 * oracle scores.
 */
export const NEUTRAL_FILLERS: readonly string[] = Object.freeze([
  ' and',
  '!',
  ' the',
  ' a',
  ' it',
  ' is',
  ' of',
  ' to',
  ' that',
  ' this',
  ' was',
  '.',
  ' i',
  ' in',
]);

/**
 * Training copies that teach the labeler to ignore neutral tokens at the end of a text: for each
 * sentence, `copies` times, a prefix of 1 to all of its words followed by 1-3 fillers drawn from
 * `fillers`, with the sentence's label. Prefixes also match what the labeler judges in the
 * experiment (a review opening and a short completion). Seeded, so the same inputs give the
 * same copies.
 *
 * Measured on the UCI sentences (seeds 0 and 1 of the experiment's split; appended to the first
 * 6 words of each held-out test sentence), with 2 copies: " and" moves the logit +0.62 / +0.46
 * without the copies and +0.21 / +0.11 with them, "!" +0.34 / +0.27 and +0.11 / +0.10, at
 * held-out accuracy 0.815 / 0.845 without and 0.808 / 0.845 with.
 */
export function neutralSuffixCopies(
  sentences: readonly LabelledText[],
  copies: number,
  seed: number,
  fillers: readonly string[] = NEUTRAL_FILLERS,
): LabelledText[] {
  const rng = new Rng(seed);
  const out: LabelledText[] = [];
  for (const sentence of sentences) {
    const words = sentence.text.split(' ');
    for (let copy = 0; copy < copies; copy++) {
      let text = words.slice(0, 1 + rng.int(words.length)).join(' ');
      const count = 1 + rng.int(3);
      for (let i = 0; i < count; i++) text += fillers[rng.int(fillers.length)]!;
      out.push({ text, label: sentence.label });
    }
  }
  return out;
}
