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
  rewardMean: 'reward_mean',
  rewardStd: 'reward_std',
  scores: METRIC_NAMES.objectiveScores,
  loss: METRIC_NAMES.loss,
  approxKl: METRIC_NAMES.policyApproxKlAvg,
  clipFraction: METRIC_NAMES.policyClipfracAvg,
  ratio: METRIC_NAMES.valRatio,
  kl: METRIC_NAMES.objectiveKl,
  gradNorm: METRIC_NAMES.gradNorm,
  learningRate: METRIC_NAMES.learningRate,
  rolloutSeconds: 'time/rollout',
  optimizationSeconds: 'time/optimization',
} as const;
