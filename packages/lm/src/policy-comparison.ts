import { InvalidArgumentError } from '@dpo-ts/core';
import type { CausalLanguageModel } from './causal-lm.js';
import {
  completionLogProbs,
  sampleCompletions,
  type CompletionSample,
  type SampleCompletionsOptions,
} from './sample-completions.js';
import type { Tokenizer } from './tokenizer.js';

/** A reward of a completion given its prompt: a plain function (a lexicon, a rule, a model). */
export type CompletionReward = (completion: string, prompt: string) => number;

/** Samples of one model with their rewards. */
export interface ScoredSamples {
  /** One sampled completion per prompt, in prompt order. */
  readonly samples: readonly CompletionSample[];
  /** One reward per sample. */
  readonly rewards: readonly number[];
  /** Mean of `rewards`. */
  readonly meanReward: number;
  /** Fraction of samples that ended with EOS. */
  readonly finishedRate: number;
  /** Mean completion length in tokens (EOS included). */
  readonly meanLength: number;
}

/** What {@link comparePolicyToReference} measures. */
export interface PolicyComparison {
  /** The trained policy's samples and rewards. */
  readonly policy: ScoredSamples;
  /** The reference model's samples and rewards, for the same prompts and seeds. */
  readonly reference: ScoredSamples;
  /**
   * Over prompts, how often the policy's sample has the higher reward than the reference's
   * sample for the same prompt and seed: 1 for a win, 0.5 for a tie, 0 for a loss.
   */
  readonly winRate: number;
  /**
   * Monte-Carlo estimate of KL(pi || pi_ref) per completion in nats:
   * mean over policy samples y ~ pi(.|x) of log pi(y|x) - log pi_ref(y|x), both at temperature 1.
   * Unbiased when the samples were drawn at temperature 1 without top-k/top-p; otherwise an
   * approximation. Can be slightly negative by sampling noise.
   */
  readonly klEstimate: number;
}

/**
 * Samples one completion per prompt from the policy and from the reference with the same seeds,
 * scores both with `reward`, and reports the mean rewards, the policy's win rate against the
 * reference and an estimate of KL(policy || reference). The usual "before vs after" of an
 * alignment run (the reward the DPO paper's Figure 2 plots against KL).
 *
 * @see Rafailov et al. 2023, Sec. 6.1 (reward vs KL frontier); Stiennon et al. 2020 (win rates).
 */
export async function comparePolicyToReference(options: {
  readonly policy: CausalLanguageModel;
  readonly reference: CausalLanguageModel;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly string[];
  readonly reward: CompletionReward;
  readonly sampling: SampleCompletionsOptions;
}): Promise<PolicyComparison> {
  const { policy, reference, tokenizer, prompts, reward, sampling } = options;
  if (typeof reward !== 'function')
    throw new InvalidArgumentError('options.reward', 'a function (completion, prompt) => number', reward);
  const policySamples = await scoreSamples(await sampleCompletions(policy, tokenizer, prompts, sampling), reward);
  const referenceSamples = await scoreSamples(await sampleCompletions(reference, tokenizer, prompts, sampling), reward);
  let wins = 0;
  policySamples.rewards.forEach((r, i) => {
    const other = referenceSamples.rewards[i]!;
    wins += r > other ? 1 : r === other ? 0.5 : 0;
  });
  const batchSize = sampling.batchSize ?? 64;
  const policyLogProbs = await completionLogProbs(policy, tokenizer, policySamples.samples, batchSize);
  const referenceLogProbs = await completionLogProbs(reference, tokenizer, policySamples.samples, batchSize);
  const kl = mean(policyLogProbs.map((lp, i) => lp - referenceLogProbs[i]!));
  return { policy: policySamples, reference: referenceSamples, winRate: wins / prompts.length, klEstimate: kl };
}

/** Rewards and summary statistics of samples. */
export async function scoreSamples(
  samples: readonly CompletionSample[],
  reward: CompletionReward,
): Promise<ScoredSamples> {
  const rewards = samples.map((sample, i) => {
    const value = reward(sample.completion, sample.prompt);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new InvalidArgumentError(`reward(samples[${i}])`, 'a finite number', value);
    return value;
  });
  return {
    samples,
    rewards,
    meanReward: mean(rewards),
    finishedRate: mean(samples.map((s) => (s.finished ? 1 : 0))),
    meanLength: mean(samples.map((s) => s.completionIds.length)),
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
