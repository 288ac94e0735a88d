import { Rng } from '@dpo-ts/core/training';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { completionMetrics, GROUP_METRIC_NAMES } from './group/group-metrics.js';
import { computeRewardScores, type RewardSource } from './reward-source.js';
import { generateRollout, type RolloutSampling } from './rollout-generation.js';

/** Settings of {@link evaluateCompletions}. */
export interface EvaluateCompletionsOptions {
  /** Most tokens generated per completion (the trainer's `responseLength` / `maxCompletionLength`). */
  readonly maxNewTokens: number;
  /** Sampling temperature (> 0), the trainer's, so evaluation samples the policy as training does. */
  readonly temperature: number;
  /** End a completion at the first EOS (counted in its length) instead of generating `maxNewTokens`. */
  readonly stopAtEos: boolean;
  /** Seed of a fresh sampling stream: the training generators are not touched. */
  readonly seed: number;
}

/**
 * One completion per held-out prompt from the current policy, scored by the reward: what the
 * RL trainers' `evaluate()` reports, TRL's `eval_` prefix included: `eval_reward` (mean reward),
 * `eval_reward_std` (its standard deviation over prompts) and the `eval_completions/*` lengths.
 * With `sampling` (a trainer's pool, or workers > 1) the completions are sampled on worker
 * threads in seeded tasks (lm's {@link generateRollout}); without, on the main thread.
 * Leaves no tensor behind.
 */
export async function evaluateCompletions(
  model: GPT,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  promptIds: readonly (readonly number[])[],
  reward: RewardSource,
  options: EvaluateCompletionsOptions,
  sampling?: RolloutSampling,
): Promise<Record<string, number>> {
  const generation = await generateRollout(
    model,
    tokenizer,
    promptIds,
    { maxNewTokens: options.maxNewTokens, temperature: options.temperature, stopAtEos: options.stopAtEos },
    new Rng(options.seed),
    sampling,
  );
  const rewards = await computeRewardScores(reward, {
    prompts,
    completions: generation.texts,
    finished: generation.finished,
  });
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((total, r) => total + (r - mean) ** 2, 0) / rewards.length);
  const metrics: Record<string, number> = {
    [GROUP_METRIC_NAMES.reward]: mean,
    [GROUP_METRIC_NAMES.rewardStd]: std,
    ...completionMetrics(generation.lengths, generation.finished),
  };
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [`eval_${key}`, value]));
}
