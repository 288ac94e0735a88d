import { sampleCompletions, type GPT, type Tokenizer } from '@dpo-ts/lm';
import type { SequenceRewardModel } from '@dpo-ts/reward';
import { rewardModelScorer } from '@dpo-ts/rlhf';
import { bestOfNIndices, bestOfNKLBound } from './best-of-n.js';
import type { ComputeCost } from './compute-cost.js';
import type { GroundTruthReward } from './preference-pairs.js';
import { mean, pearson, standardError } from './statistics.js';

/** Best-of-N at one N, picked by the reward model and (as an oracle) by the ground truth. */
export interface BestOfNResult {
  readonly n: number;
  /** log N - (N - 1) / N. */
  readonly klBound: number;
  /** Mean (and standard error over prompts) ground-truth reward of the reward model's pick. */
  readonly rewardModelPick: { readonly reward: number; readonly standardError: number };
  /** The same for the ground truth's own pick: what a perfect reward model would reach. */
  readonly oraclePick: { readonly reward: number; readonly standardError: number };
  readonly finishedRate: number;
  readonly meanLength: number;
  /** What N samples per prompt and their reward-model scores cost (prorated from the shared samples). */
  readonly cost: ComputeCost;
  readonly examples: readonly { readonly prompt: string; readonly completion: string; readonly reward: number }[];
}

/**
 * Best-of-N from the SFT model: max(ns) completions per held-out prompt (temperature 1), scored
 * by the learned reward model (as RLHF would deploy it; lm's samples re-tokenised by rlhf's
 * `rewardModelScorer`) and by the ground truth; for each N the first N samples of each prompt
 * are the candidates, so smaller N are nested in larger ones. Its KL is the analytic bound
 * ({@link bestOfNKLBound}). Also returns the Pearson correlation of reward-model and
 * ground-truth scores over every sample: how well the reward model tracks the truth on-policy.
 */
export async function runBestOfN(options: {
  readonly base: GPT;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly string[];
  readonly rewardModel: SequenceRewardModel;
  readonly groundTruth: GroundTruthReward;
  readonly ns: readonly number[];
  readonly maxNewTokens: number;
  readonly seed: number;
}): Promise<{ readonly results: readonly BestOfNResult[]; readonly rewardModelGroundTruthCorrelation: number }> {
  const maxN = Math.max(...options.ns);
  const repeated = options.prompts.flatMap((prompt) => Array.from({ length: maxN }, () => prompt));
  const sampleStarted = performance.now();
  const samples = await sampleCompletions(options.base, options.tokenizer, repeated, {
    maxNewTokens: options.maxNewTokens,
    temperature: 1,
    seed: options.seed,
    batchSize: 64,
  });
  const samplingSeconds = (performance.now() - sampleStarted) / 1000;
  const scoreStarted = performance.now();
  const rewardModelScores = await rewardModelScorer(options.rewardModel, options.tokenizer, {
    batchSize: 64,
  }).scoreBatch({
    prompts: samples.map((s) => s.prompt),
    completions: samples.map((s) => s.completion),
    finished: samples.map((s) => s.finished),
  });
  const scoringSeconds = (performance.now() - scoreStarted) / 1000;
  const truth = samples.map((s) => options.groundTruth(s.prompt, s.completion));
  const results = [...options.ns]
    .sort((a, b) => a - b)
    .map((n): BestOfNResult => {
      const picks = bestOfNIndices(rewardModelScores, maxN, n);
      const oracle = bestOfNIndices(truth, maxN, n);
      const candidates = samples.filter((_, i) => i % maxN < n);
      const share = n / maxN;
      return {
        n,
        klBound: bestOfNKLBound(n),
        rewardModelPick: {
          reward: mean(picks.map((i) => truth[i]!)),
          standardError: standardError(picks.map((i) => truth[i]!)),
        },
        oraclePick: {
          reward: mean(oracle.map((i) => truth[i]!)),
          standardError: standardError(oracle.map((i) => truth[i]!)),
        },
        finishedRate: mean(picks.map((i) => (samples[i]!.finished ? 1 : 0))),
        meanLength: mean(picks.map((i) => samples[i]!.completionIds.length)),
        cost: {
          wallSeconds: share * (samplingSeconds + scoringSeconds),
          forwardSequences: candidates.length,
          backwardSequences: 0,
          sampledCompletions: candidates.length,
          sampledTokens: candidates.reduce((sum, s) => sum + s.completionIds.length, 0),
        },
        examples: picks
          .slice(0, 4)
          .map((i) => ({ prompt: samples[i]!.prompt, completion: samples[i]!.completion, reward: truth[i]! })),
      };
    });
  return { results, rewardModelGroundTruthCorrelation: pearson(rewardModelScores, truth) };
}
