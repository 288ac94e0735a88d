import { METRIC_NAMES } from '@dpo-ts/core';

/**
 * Metric keys of a DDPO step. Where core's `METRIC_NAMES` has the quantity (TRL's PPO names) it
 * is used, so DDPO and PPO logs line up; the reward statistics keep TRL `DDPOTrainer`'s (and
 * ddpo-pytorch's) names, which core does not define.
 *
 * - `reward_mean`, `reward_std`: mean and (population) std of the step's rewards, before
 *   normalisation; `objective/scores` repeats the mean under PPO's name.
 * - `loss`: the clipped surrogate (plus the KL term), averaged over minibatches and timesteps.
 * - `policy/approxkl_avg`: 0.5 E[(log p_theta - log p_old)^2] per denoising step (`approx_kl`).
 * - `policy/clipfrac_avg`: fraction of (trajectory, step) entries with |rho - 1| > clip range (`clipfrac`).
 * - `val/ratio`: mean importance ratio rho.
 * - `objective/kl`: the KL(pi_theta || pi_ref) estimate per step, with a reference and klCoef > 0.
 * - `grad_norm` (before clipping, mean over the step's optimiser updates), `learning_rate`.
 * - `time/rollout`, `time/optimization`: seconds of sampling (with rewards) and of the PPO epochs.
 */
export const DDPO_METRIC_NAMES = {
  /** `reward_mean`: mean reward of the step's samples, before normalisation. */
  rewardMean: 'reward_mean',
  /** `reward_std`: population std of the step's rewards, before normalisation. */
  rewardStd: 'reward_std',
  /** `objective/scores`: the mean reward again, under PPO's name. */
  scores: METRIC_NAMES.objectiveScores,
  /** `loss`: clipped surrogate (plus the KL term), mean over minibatches and timesteps. */
  loss: METRIC_NAMES.loss,
  /** `policy/approxkl_avg`: 0.5 E[(log p_theta - log p_old)^2] per denoising step. */
  approxKl: METRIC_NAMES.policyApproxKlAvg,
  /** `policy/clipfrac_avg`: share of (trajectory, step) entries with |rho - 1| > clipRange. */
  clipFraction: METRIC_NAMES.policyClipfracAvg,
  /** `val/ratio`: mean importance ratio rho = p_theta / p_old. */
  ratio: METRIC_NAMES.valRatio,
  /** `objective/kl`: KL(pi_theta || pi_ref) estimate per step (with a reference and klCoef > 0). */
  kl: METRIC_NAMES.objectiveKl,
  /** `grad_norm`: global gradient norm before clipping, mean over the step's optimiser updates. */
  gradNorm: METRIC_NAMES.gradNorm,
  /** `learning_rate`: the scheduled learning rate of the step. */
  learningRate: METRIC_NAMES.learningRate,
  /** `time/rollout`: seconds spent sampling trajectories and computing rewards. */
  rolloutSeconds: 'time/rollout',
  /** `time/optimization`: seconds spent in the PPO epochs. */
  optimizationSeconds: 'time/optimization',
} as const;
