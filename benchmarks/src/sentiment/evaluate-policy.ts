import { sampleCompletions, type CausalLanguageModel, type Tokenizer } from '@dpo-ts/lm';
import type { GroundTruthReward } from './preference-pairs.js';
import { estimateSequenceKL } from './sequence-kl.js';
import { mean, standardError } from './statistics.js';

/** Where a policy sits on the frontier, measured on held-out prompts. */
export interface PolicyEvaluation {
  /** Mean ground-truth reward of one temperature-1 sample per prompt. */
  readonly reward: number;
  readonly rewardStandardError: number;
  /** Sequence-level KL(policy || reference) estimate, nats per completion (0 for the reference itself). */
  readonly kl: number;
  readonly klStandardError: number;
  readonly finishedRate: number;
  /** Mean completion length in tokens (EOS included). */
  readonly meanLength: number;
  /** The first few samples, for the report. */
  readonly examples: readonly { readonly prompt: string; readonly completion: string; readonly reward: number }[];
  /** Seconds spent measuring (not part of the method's cost). */
  readonly wallSeconds: number;
}

/**
 * Samples one completion per prompt from `policy` (temperature 1, no top-k/top-p, so the KL
 * estimate is unbiased), scores it with the ground truth, and estimates KL(policy || reference)
 * from the same samples ({@link estimateSequenceKL}). Every method of a seed is measured with
 * the same prompts and the same sampling seed (common random numbers).
 */
export async function evaluatePolicy(options: {
  readonly policy: CausalLanguageModel;
  readonly reference: CausalLanguageModel;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly string[];
  readonly reward: GroundTruthReward;
  readonly maxNewTokens: number;
  readonly seed: number;
}): Promise<PolicyEvaluation> {
  const started = performance.now();
  const { policy, reference, tokenizer } = options;
  const samples = await sampleCompletions(policy, tokenizer, options.prompts, {
    maxNewTokens: options.maxNewTokens,
    temperature: 1,
    seed: options.seed,
    batchSize: 64,
  });
  const rewards = samples.map((s) => options.reward(s.prompt, s.completion));
  const kl =
    policy === reference
      ? { mean: 0, standardError: 0 }
      : await estimateSequenceKL(policy, reference, tokenizer, samples);
  return {
    reward: mean(rewards),
    rewardStandardError: standardError(rewards),
    kl: kl.mean,
    klStandardError: kl.standardError,
    finishedRate: mean(samples.map((s) => (s.finished ? 1 : 0))),
    meanLength: mean(samples.map((s) => s.completionIds.length)),
    examples: samples.slice(0, 4).map((s, i) => ({ prompt: s.prompt, completion: s.completion, reward: rewards[i]! })),
    wallSeconds: (performance.now() - started) / 1000,
  };
}
