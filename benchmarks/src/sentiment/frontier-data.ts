import { mixSeeds, Rng, trainEvalSplit } from '@dpo-ts/core';
import { loadSentimentSentences, type SentimentSentence } from '@dpo-ts/lm';
import type { FrontierDataConfig } from './frontier-config.js';

/** The UCI sentences split once (by the benchmark's base seed) and the prompts drawn from them. */
export interface FrontierData {
  /** Training split: SFT text, classifier training, pair and PPO prompts. */
  readonly train: readonly SentimentSentence[];
  /** Held out of SFT and of the classifier: classifier accuracy and evaluation prompts. */
  readonly heldOut: readonly SentimentSentence[];
  /** Prefixes of training-split sentences: preference-pair prompts and PPO's prompts. */
  readonly pairPrompts: readonly string[];
  /** Prefixes of held-out sentences: every method is evaluated on these. */
  readonly evalPrompts: readonly string[];
}

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
  config: Pick<FrontierDataConfig, 'minPromptWords' | 'maxPromptWords' | 'maxPromptChars'>,
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

/**
 * Loads the 3,000 UCI sentences, holds `heldOutSentences` out (seeded), and draws the pair
 * prompts from the training split and the evaluation prompts from the held-out split.
 */
export async function loadFrontierData(config: FrontierDataConfig, seed: number): Promise<FrontierData> {
  const sentences = await loadSentimentSentences();
  const split = trainEvalSplit(sentences, { evalSize: config.heldOutSentences, seed });
  return {
    train: split.train,
    heldOut: split.eval,
    pairPrompts: drawPrompts(split.train, config.pairPrompts, config, mixSeeds(seed, 1)),
    evalPrompts: drawPrompts(split.eval, config.evalPrompts, config, mixSeeds(seed, 2)),
  };
}
