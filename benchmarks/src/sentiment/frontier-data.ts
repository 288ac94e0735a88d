import { mixSeeds, Rng } from '@dpo-ts/core/training';
import type { SentimentSentence } from '@dpo-ts/lm';
import type { PromptConfig } from './frontier-config.js';

/**
 * The first `words` words of `text`, then words dropped from the end until the prefix has at
 * most `maxChars` characters; always a strict prefix (at least one word is left to continue)
 * of at least `minWords` words. `undefined` when no such prefix exists (a sentence of fewer
 * than `minWords + 1` words, or whose first `minWords` words are already too long).
 */
export function reviewPrefix(
  text: string,
  words: number,
  options: { readonly minWords: number; readonly maxChars: number },
): string | undefined {
  const tokens = text.split(/\s+/).filter((token) => token.length > 0);
  let count = Math.min(words, tokens.length - 1);
  while (count >= options.minWords && tokens.slice(0, count).join(' ').length > options.maxChars) count--;
  return count >= options.minWords ? tokens.slice(0, count).join(' ') : undefined;
}

/**
 * Prompts from `sentences` in a seeded order: each sentence's prefix length is drawn uniformly
 * from [minPromptWords, maxPromptWords] by its own stream (`mixSeeds(seed, index)`), so a
 * sentence's prompt does not depend on which others were kept. Sentences without a valid
 * prefix are skipped; at most `count` prompts.
 */
export function drawPrompts(
  sentences: readonly SentimentSentence[],
  count: number,
  config: PromptConfig,
  seed: number,
): string[] {
  const order = new Rng(seed).permutation(sentences.length);
  const prompts: string[] = [];
  for (const index of order) {
    if (prompts.length >= count) break;
    const span = config.maxPromptWords - config.minPromptWords + 1;
    const words = config.minPromptWords + new Rng(mixSeeds(seed, index)).int(span);
    const prefix = reviewPrefix(sentences[index]!.text, words, {
      minWords: config.minPromptWords,
      maxChars: config.maxPromptChars,
    });
    if (prefix !== undefined) prompts.push(prefix);
  }
  return prompts;
}
