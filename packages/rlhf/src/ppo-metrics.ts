import { METRIC_NAMES } from '@dpo-ts/core';

/**
 * The metric keys a PPO update logs, TRL's names from core's `METRIC_NAMES`. What they mean
 * (every "mean" is over the update's rollouts; sums are over each completion's tokens):
 *
 * - `objective/kl`: mean of Σ_t kl_t, the estimated KL(π_old || π_ref) per completion (k1 or k3).
 * - `objective/entropy`: mean of Σ_t -log π_old(y_t), a one-sample estimate of the sequence entropy.
 * - `objective/non_score_reward`: mean of Σ_t -β kl_t.
 * - `objective/scores`: mean score (reward, missing-EOS penalty included).
 * - `objective/rlhf_reward`: scores + non_score_reward, the KL-regularised objective PPO maximises.
 * - `policy/approxkl_avg`: mean over micro-batches of 0.5 E[(log π_θ - log π_old)^2]: how far
 *   the optimisation epochs moved the policy from the sampler.
 * - `policy/clipfrac_avg`, `val/clipfrac_avg`: fractions of tokens where the clipped policy /
 *   value term was the active one.
 * - `loss/policy_avg`, `loss/value_avg`: the two losses, averaged over micro-batches.
 * - `policy/entropy_avg`: mean per-token entropy of softmax(logits / T) during optimisation.
 * - `val/ratio`: mean probability ratio π_θ / π_old during optimisation (1 at the first minibatch).
 * - `val/num_eos_tokens`: EOS tokens sampled in the batch (how many completions finished).
 * - `kl_coef`: the β used for this update's rewards (moves with the adaptive controller).
 *
 * Token-level averages are over real tokens only (TRL averages some of them, `val/ratio`,
 * `policy/approxkl_avg`, `policy/entropy_avg`, over padding too, which dilutes them by the
 * padding fraction).
 */
export const PPO_METRIC_NAMES = [
  METRIC_NAMES.objectiveKl,
  METRIC_NAMES.objectiveEntropy,
  METRIC_NAMES.objectiveNonScoreReward,
  METRIC_NAMES.objectiveRlhfReward,
  METRIC_NAMES.objectiveScores,
  METRIC_NAMES.policyApproxKlAvg,
  METRIC_NAMES.policyClipfracAvg,
  METRIC_NAMES.lossPolicyAvg,
  METRIC_NAMES.lossValueAvg,
  METRIC_NAMES.valClipfracAvg,
  METRIC_NAMES.policyEntropyAvg,
  METRIC_NAMES.valRatio,
  METRIC_NAMES.valNumEosTokens,
  METRIC_NAMES.klCoefficient,
] as const;

/**
 * Extra keys the PPO trainer logs besides TRL's: wall time of each phase of an update, in
 * seconds, and sampling throughput. TRL has no equivalent (it logs episodes per second, `eps`).
 */
export const PPO_TIMING_METRIC_NAMES = {
  /** Sampling the completions (`generate`, KV cache). */
  rolloutSeconds: 'time/rollout',
  /** The reward function or reward model. */
  scoringSeconds: 'time/scoring',
  /** The frozen reference's forward pass (its log-probs). */
  referenceSeconds: 'time/reference',
  /** The no-grad policy and value forward passes (old log-probs, old values) and the targets. */
  policyValueSeconds: 'time/policy_value',
  /** All PPO epochs: forward, backward, optimiser steps. */
  optimizationSeconds: 'time/optimization',
  /** Sampled (valid) tokens per second of `time/rollout`. */
  rolloutTokensPerSecond: 'rollout/tokens_per_second',
  /** Mean valid tokens per completion (EOS included). */
  meanResponseLength: 'rollout/response_length',
} as const;

/**
 * 1 for an update of the critic warm-up (`valueWarmupSteps`: only the value model trained, the
 * policy frozen), 0 otherwise. Not in TRL.
 */
export const PPO_VALUE_WARMUP_METRIC = 'val/warmup';
