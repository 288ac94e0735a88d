import { InvalidArgumentError, requireInteger, requireNumber } from '@dpo-ts/core';
import type { PreferenceRecordInput } from '@dpo-ts/core/data';
import type { CausalLanguageModel } from './causal-lm.js';
import type { CompletionReward } from './policy-comparison.js';
import { sampleCompletions, type SampleCompletionsOptions } from './sample-completions.js';
import type { Tokenizer } from './tokenizer.js';

/** Options of {@link samplePreferencePairs}. */
export interface SamplePreferencePairsOptions extends SampleCompletionsOptions {
  /** Completions sampled per prompt (>= 2); the best and the worst form the pair. @defaultValue 2 */
  readonly samplesPerPrompt?: number;
  /** Keep a pair only when best - worst reward exceeds this (ties are always dropped). @defaultValue 0 */
  readonly minRewardGap?: number;
  /** Use only completions that ended with EOS (unfinished ones would be taught to stop where they were cut). @defaultValue false */
  readonly requireFinished?: boolean;
}

/** What {@link samplePreferencePairs} returns. */
export interface SampledPreferencePairs {
  /** `{ prompt, chosen, rejected, extra: { score_chosen, score_rejected } }`, ready for `DPOTrainer` or core's `writePreferenceJsonl`. */
  readonly pairs: PreferenceRecordInput[];
  /** Prompts dropped for a tie, a gap below `minRewardGap`, or fewer than two usable samples. */
  readonly skipped: number;
  /** Completions sampled in all. */
  readonly sampled: number;
}

/**
 * On-policy preference pairs labelled by a plain reward function: for each prompt, sample
 * `samplesPerPrompt` completions from `model`, score them, and pair the best (chosen) with the
 * worst (rejected); prompts whose samples tie are skipped. This is how the DPO paper builds its
 * controlled-sentiment task (samples from the SFT model, preferences from a sentiment
 * classifier), with the classifier replaced by any `reward`.
 *
 * Deterministic for a seed: the samples of prompt i are rows of `sampleCompletions` over the
 * prompts repeated `samplesPerPrompt` times.
 *
 * @see Rafailov et al. 2023, Sec. 6.1 (controlled sentiment generation on IMDb).
 */
export async function samplePreferencePairs(
  model: CausalLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  reward: CompletionReward,
  options: SamplePreferencePairsOptions,
): Promise<SampledPreferencePairs> {
  if (typeof reward !== 'function')
    throw new InvalidArgumentError('reward', 'a function (completion, prompt) => number', reward);
  const perPrompt = requireInteger('options.samplesPerPrompt', options.samplesPerPrompt ?? 2, { min: 2 });
  const minGap = requireNumber('options.minRewardGap', options.minRewardGap ?? 0, { min: 0 });
  const requireFinished = options.requireFinished ?? false;
  const { samplesPerPrompt: _n, minRewardGap: _gap, requireFinished: _finished, ...sampling } = options;
  const repeated = prompts.flatMap((prompt) => Array.from({ length: perPrompt }, () => prompt));
  const samples = await sampleCompletions(model, tokenizer, repeated, sampling);
  const pairs: PreferenceRecordInput[] = [];
  let skipped = 0;
  prompts.forEach((prompt, p) => {
    const candidates = samples
      .slice(p * perPrompt, (p + 1) * perPrompt)
      .filter((sample) => sample.finished || !requireFinished)
      .map((sample) => ({ text: sample.completion, reward: reward(sample.completion, prompt) }));
    if (candidates.length < 2) {
      skipped++;
      return;
    }
    // Stable: the first best and the first worst in sampling order.
    const best = candidates.reduce((a, b) => (b.reward > a.reward ? b : a));
    const worst = candidates.reduce((a, b) => (b.reward < a.reward ? b : a));
    if (!(best.reward - worst.reward > minGap)) {
      skipped++;
      return;
    }
    pairs.push({
      prompt,
      chosen: best.text,
      rejected: worst.text,
      extra: { score_chosen: best.reward, score_rejected: worst.reward },
    });
  });
  return { pairs, skipped, sampled: samples.length };
}
