import { Rng } from '@dpo-ts/core/training';
import type { PreferenceRecord } from '@dpo-ts/core/data';

/** Letters of the synthetic task; the reward is the number of `TARGET_LETTER`s. */
export const LETTERS = 'abcd';
export const TARGET_LETTER = 'a';

/** Occurrences of the target letter. */
export function targetCount(text: string): number {
  let count = 0;
  for (const character of text) if (character === TARGET_LETTER) count++;
  return count;
}

/**
 * Preference pairs labelled by a known function: two random strings over `LETTERS` (length
 * 4 to 8), the one with more `a`s chosen; ties are redrawn. Deterministic for a seed.
 */
export function letterCountPairs(count: number, seed: number): PreferenceRecord<string, string>[] {
  const rng = new Rng(seed);
  const word = (): string => {
    const length = 4 + rng.int(5);
    let text = '';
    for (let i = 0; i < length; i++) text += LETTERS[rng.int(LETTERS.length)];
    return text;
  };
  const pairs: PreferenceRecord<string, string>[] = [];
  while (pairs.length < count) {
    const first = word();
    const second = word();
    const difference = targetCount(first) - targetCount(second);
    if (difference === 0) continue;
    const [chosen, rejected] = difference > 0 ? [first, second] : [second, first];
    pairs.push({ prompt: '>', chosen, rejected, extra: {} });
  }
  return pairs;
}
