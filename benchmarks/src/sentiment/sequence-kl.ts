import { completionLogProbs, type CausalLanguageModel, type CompletionSample, type Tokenizer } from '@dpo-ts/lm';
import { mean, standardError } from './statistics.js';

/** A Monte-Carlo estimate of the sequence-level KL(policy || reference) from policy samples. */
export interface SequenceKLEstimate {
  /** Mean over samples of log pi(y|x) - log pi_ref(y|x), nats per completion. */
  readonly mean: number;
  /** Standard error of that mean (sd / sqrt(n)). */
  readonly standardError: number;
  /** One log-ratio per sample, in sample order. */
  readonly logRatios: readonly number[];
}

/**
 * Estimates KL(pi || pi_ref) per completion from completions sampled from the policy itself:
 *
 *   KL = E_{x ~ prompts, y ~ pi(.|x)} [ sum_t log pi(y_t | x, y_<t) - log pi_ref(y_t | x, y_<t) ]
 *
 * The k1 estimator, unbiased when the samples come from pi at temperature 1 with no top-k/top-p
 * (what the frontier's evaluation samples), and exactly the quantity the DPO paper plots on
 * the x-axis of Fig. 2 (sequence-level, summed over tokens, EOS included when sampled). A
 * single sample's log-ratio can be negative; the mean over many cannot be, up to sampling noise.
 * Log-likelihoods come from lm's `completionLogProbs` (one forward pass per batch per model).
 *
 * @see Rafailov et al. 2023, Sec. 6.1 and Fig. 2; Schulman 2020, "Approximating KL divergence" (k1).
 */
export async function estimateSequenceKL(
  policy: CausalLanguageModel,
  reference: CausalLanguageModel,
  tokenizer: Pick<Tokenizer, 'padTokenId' | 'bosTokenId' | 'eosTokenId'>,
  samples: readonly Pick<CompletionSample, 'promptIds' | 'completionIds'>[],
  batchSize = 64,
): Promise<SequenceKLEstimate> {
  const policyLogProbs = await completionLogProbs(policy, tokenizer, samples, batchSize);
  const referenceLogProbs = await completionLogProbs(reference, tokenizer, samples, batchSize);
  const logRatios = policyLogProbs.map((lp, i) => lp - referenceLogProbs[i]!);
  return { mean: mean(logRatios), standardError: standardError(logRatios), logRatios };
}
