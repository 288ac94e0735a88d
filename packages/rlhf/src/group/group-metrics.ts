/**
 * The metric keys RLOO and GRPO log, TRL's names (`GRPOTrainer` / `RLOOTrainer` `_metrics`):
 *
 * - `reward`: mean reward of the step's completions (for RLOO, before the KL penalty).
 * - `reward_std`: mean over prompts of the (unbiased) standard deviation of their group's rewards;
 *   near 0, the groups teach nothing.
 * - `frac_reward_zero_std`: fraction of prompts whose completions all got the same reward.
 * - `kl`: GRPO: masked mean of the per-token k3 estimate of KL(π_θ || π_ref) during the update
 *   (β > 0 only); RLOO: mean over completions of Σ_t (log π_old - log π_ref), the KL that the
 *   reward is penalised by.
 * - `entropy`: mean per-token entropy of the sampler's softmax(logits / T).
 * - `clip_ratio/low_mean`, `clip_ratio/high_mean`, `clip_ratio/region_mean`: fractions of tokens
 *   (GRPO) or completions (RLOO) whose ratio left [1 - ε, 1 + ε] on the side that clips; 0 with
 *   one update per batch.
 * - `completions/mean_length`, `completions/min_length`, `completions/max_length`: tokens per
 *   completion (EOS included); `completions/clipped_ratio`: fraction that hit
 *   `maxCompletionLength` without EOS; `completions/mean_terminated_length`: mean length of those
 *   that ended with EOS (0 when none did).
 */
export const GROUP_METRIC_NAMES = {
  /** `reward`: mean reward of the step's completions (RLOO: before the KL penalty). */
  reward: 'reward',
  /** `reward_std`: mean over prompts of the unbiased std of their group's rewards. */
  rewardStd: 'reward_std',
  /** `frac_reward_zero_std`: share of prompts whose completions all got the same reward. */
  fracRewardZeroStd: 'frac_reward_zero_std',
  /** `kl`: GRPO's masked mean k3 estimate of KL(π_θ || π_ref); RLOO's mean Σ_t (log π_old - log π_ref). */
  kl: 'kl',
  /** `entropy`: mean per-token entropy of the sampler's softmax(logits / T), nats. */
  entropy: 'entropy',
  /** `clip_ratio/low_mean`: share whose ratio fell below 1 - ε where the advantage is negative. */
  clipRatioLow: 'clip_ratio/low_mean',
  /** `clip_ratio/high_mean`: share whose ratio rose above 1 + ε_high where the advantage is positive. */
  clipRatioHigh: 'clip_ratio/high_mean',
  /** `clip_ratio/region_mean`: share clipped on either side (low + high). */
  clipRatioRegion: 'clip_ratio/region_mean',
  /** `completions/mean_length`: mean tokens per completion, EOS included. */
  meanLength: 'completions/mean_length',
  /** `completions/min_length`: shortest completion, tokens. */
  minLength: 'completions/min_length',
  /** `completions/max_length`: longest completion, tokens. */
  maxLength: 'completions/max_length',
  /** `completions/clipped_ratio`: share that hit `maxCompletionLength` without EOS. */
  clippedRatio: 'completions/clipped_ratio',
  /** `completions/mean_terminated_length`: mean length of the completions that ended with EOS (0 when none). */
  meanTerminatedLength: 'completions/mean_terminated_length',
} as const;

/** Completion-length metrics of {@link GROUP_METRIC_NAMES} from lengths and EOS flags. */
export function completionMetrics(lengths: readonly number[], finished: readonly boolean[]): Record<string, number> {
  const terminated = lengths.filter((_, i) => finished[i]);
  return {
    [GROUP_METRIC_NAMES.meanLength]: lengths.reduce((a, b) => a + b, 0) / lengths.length,
    [GROUP_METRIC_NAMES.minLength]: Math.min(...lengths),
    [GROUP_METRIC_NAMES.maxLength]: Math.max(...lengths),
    [GROUP_METRIC_NAMES.clippedRatio]: finished.filter((f) => !f).length / finished.length,
    [GROUP_METRIC_NAMES.meanTerminatedLength]:
      terminated.length === 0 ? 0 : terminated.reduce((a, b) => a + b, 0) / terminated.length,
  };
}
