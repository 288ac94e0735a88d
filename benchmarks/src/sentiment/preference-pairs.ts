import { sampleCompletions, type CausalLanguageModel, type Tokenizer } from '@dpo-ts/lm';
import { addCosts, secondsSince, type ComputeCost } from './compute-cost.js';
import { mean } from './statistics.js';
import type { TextPair } from './unlikelihood-trainer.js';

/** Ground-truth reward of a completion of a prompt (the classifier's logit of prompt + completion). */
export type GroundTruthReward = (prompt: string, completion: string) => number;

/** What {@link sampleGroundTruthPairs} made, and what it cost. */
export interface GroundTruthPairs {
  /** One pair per prompt whose samples did not all tie: best vs worst by ground truth. */
  readonly pairs: readonly (TextPair & { readonly chosenReward: number; readonly rejectedReward: number })[];
  /** Prompts skipped because every sample had the same reward. */
  readonly skipped: number;
  /** Mean ground-truth reward of every sample (the SFT model's, on training prompts). */
  readonly sampleMeanReward: number;
  /** Fraction of samples that ended with EOS. */
  readonly finishedRate: number;
  readonly cost: ComputeCost;
}

/**
 * The preference data of the benchmark: `samplesPerPrompt` completions of each prompt from the
 * SFT model (temperature 1), scored by the ground-truth classifier; the best is chosen and the
 * worst rejected. This is lm's `samplePreferencePairs` recipe (the DPO paper's Sec. 6.1 with
 * best-vs-worst instead of all pairs), done here on `sampleCompletions` so that the samples'
 * token counts (the cost) and mean reward are known.
 */
export async function sampleGroundTruthPairs(
  model: CausalLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  reward: GroundTruthReward,
  options: { readonly samplesPerPrompt: number; readonly maxNewTokens: number; readonly seed: number },
): Promise<GroundTruthPairs> {
  const started = performance.now();
  const perPrompt = options.samplesPerPrompt;
  const repeated = prompts.flatMap((prompt) => Array.from({ length: perPrompt }, () => prompt));
  const samples = await sampleCompletions(model, tokenizer, repeated, {
    maxNewTokens: options.maxNewTokens,
    temperature: 1,
    seed: options.seed,
    batchSize: 64,
    // Batches of 64 on every core (one per batch at most); the samples do not depend on it.
    workers: 'auto',
  });
  const rewards = samples.map((sample) => reward(sample.prompt, sample.completion));
  const pairs: GroundTruthPairs['pairs'][number][] = [];
  let skipped = 0;
  prompts.forEach((prompt, p) => {
    let best = p * perPrompt;
    let worst = best;
    for (let i = p * perPrompt + 1; i < (p + 1) * perPrompt; i++) {
      if (rewards[i]! > rewards[best]!) best = i;
      if (rewards[i]! < rewards[worst]!) worst = i;
    }
    if (!(rewards[best]! > rewards[worst]!)) {
      skipped++;
      return;
    }
    pairs.push({
      prompt,
      chosen: samples[best]!.completion,
      rejected: samples[worst]!.completion,
      chosenReward: rewards[best]!,
      rejectedReward: rewards[worst]!,
    });
  });
  const sampledTokens = samples.reduce((sum, s) => sum + s.completionIds.length, 0);
  return {
    pairs,
    skipped,
    sampleMeanReward: mean(rewards),
    finishedRate: mean(samples.map((s) => (s.finished ? 1 : 0))),
    // Generation runs one incremental forward per token: counted as sampled tokens, not sequences.
    cost: addCosts({
      wallSeconds: secondsSince(started),
      forwardSequences: 0,
      backwardSequences: 0,
      sampledCompletions: samples.length,
      sampledTokens,
    }),
  };
}
