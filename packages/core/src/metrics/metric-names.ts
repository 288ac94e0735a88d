/**
 * Every metric key dpo-ts logs, spelled as TRL spells it, so a dpo-ts log lines up with a
 * PyTorch run's. Trainers, reports and benchmarks import names from here; none spells a key
 * by hand.
 *
 * @see huggingface/trl: `DPOTrainer.get_batch_loss_metrics`, `PPOTrainer.train`,
 *   `RewardTrainer.compute_loss`.
 */
export const METRIC_NAMES = {
  // Shared by every trainer.
  /** The training objective of the step, over its micro-batches; evaluation logs it as `eval_loss`. */
  loss: 'loss',
  /** Global L2 norm of the gradients before clipping to `maxGradNorm` (transformers' `grad_norm`). */
  gradNorm: 'grad_norm',
  /** The learning rate the schedule gave this optimiser step. */
  learningRate: 'learning_rate',
  /** Passes over the training data completed, fractional (transformers' `epoch`). */
  epoch: 'epoch',
  /** Examples (pairs for DPO) per second over the run so far (transformers' `speed_metrics`). */
  trainSamplesPerSecond: 'train_samples_per_second',
  /** Non-padding input tokens per second over the run so far (transformers' `speed_metrics`). */
  trainTokensPerSecond: 'train_tokens_per_second',

  // Supervised fine-tuning and language modelling, as TRL's SFTTrainer.
  /** Fraction of scored tokens whose argmax prediction is the target. */
  meanTokenAccuracy: 'mean_token_accuracy',
  /** Non-padding input tokens processed since the run began (cumulative). */
  numTokens: 'num_tokens',
  /** exp(mean next-token cross-entropy) on evaluation data (transformers' `run_clm`). */
  perplexity: 'perplexity',

  // Preference optimisation (DPO and every loss variant; Diffusion-DPO).
  /** Mean of beta * (policy - reference) score of the chosen responses. */
  rewardsChosen: 'rewards/chosen',
  /** Mean of beta * (policy - reference) score of the rejected responses. */
  rewardsRejected: 'rewards/rejected',
  /** Fraction of pairs whose chosen reward is strictly greater (ties count 0, as TRL). */
  rewardsAccuracies: 'rewards/accuracies',
  /** Mean of chosen minus rejected reward. */
  rewardsMargins: 'rewards/margins',
  /** Mean policy score (log-likelihood) of the chosen responses. */
  logpsChosen: 'logps/chosen',
  /** Mean policy score of the rejected responses. */
  logpsRejected: 'logps/rejected',
  /**
   * Mean policy logit over every completion position and vocabulary entry of the chosen
   * responses (TRL's `logits[loss_mask].mean()`); language models only.
   */
  logitsChosen: 'logits/chosen',
  /** The same over the rejected responses. */
  logitsRejected: 'logits/rejected',
  /** Mean per-example denoising MSE of the policy on chosen / rejected images, and of the reference. */
  mseModelChosen: 'mse/model_chosen',
  /** Mean per-example denoising MSE of the policy on the rejected images. */
  mseModelRejected: 'mse/model_rejected',
  /** Mean per-example denoising MSE of the reference on the chosen images. */
  mseReferenceChosen: 'mse/ref_chosen',
  /** Mean per-example denoising MSE of the reference on the rejected images. */
  mseReferenceRejected: 'mse/ref_rejected',

  // Reward model (Bradley-Terry), as TRL's RewardTrainer.
  /** Fraction of pairs whose chosen reward r_w is strictly greater than r_l (a tie counts 0). */
  accuracy: 'accuracy',
  /** Mean of r_w - r_l over the pairs (a margin field of the data is not subtracted). */
  margin: 'margin',
  /** Mean of all 2N rewards, chosen and rejected. */
  meanReward: 'mean_reward',
  /** Smallest of all 2N rewards. */
  minReward: 'min_reward',
  /** Largest of all 2N rewards. */
  maxReward: 'max_reward',

  // PPO / DDPO, as TRL's PPOTrainer.
  /** KL estimate to the reference: PPO, summed over response tokens, mean over rollouts; DDPO, mean per denoising step. */
  objectiveKl: 'objective/kl',
  /** Mean over rollouts of the summed -log pi of the sampled response tokens (an entropy estimate). */
  objectiveEntropy: 'objective/entropy',
  /** Mean over rollouts of the summed KL penalty, -klCoef * KL per token. */
  objectiveNonScoreReward: 'objective/non_score_reward',
  /** Mean total reward the policy optimises: score plus non-score (KL penalty) reward. */
  objectiveRlhfReward: 'objective/rlhf_reward',
  /** Mean reward-model (or reward-function) score of the rollouts. */
  objectiveScores: 'objective/scores',
  /** Mean of 0.5 * (log pi - log pi_old)^2 over response tokens (DDPO: denoising steps): how far the update moved the policy. */
  policyApproxKlAvg: 'policy/approxkl_avg',
  /** Fraction of response tokens (DDPO: denoising steps) where the ratio clip was active. */
  policyClipfracAvg: 'policy/clipfrac_avg',
  /** Mean per-token entropy of the policy's next-token distribution over response tokens. */
  policyEntropyAvg: 'policy/entropy_avg',
  /** Mean clipped-surrogate policy loss over the minibatches. */
  lossPolicyAvg: 'loss/policy_avg',
  /** Mean clipped value-function loss over the minibatches. */
  lossValueAvg: 'loss/value_avg',
  /** Fraction of response tokens where the clipped value error is the larger one. */
  valClipfracAvg: 'val/clipfrac_avg',
  /** Mean probability ratio pi / pi_old over response tokens (DDPO: denoising steps); 1 before the first update. */
  valRatio: 'val/ratio',
  /** End-of-sequence tokens generated across the step's rollouts. */
  valNumEosTokens: 'val/num_eos_tokens',
  /** The KL penalty coefficient in use (fixed, or the adaptive controller's current value). */
  klCoefficient: 'kl_coef',
} as const;

/** Any metric key from {@link METRIC_NAMES}. */
export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** A row of metrics: key to value. Keys outside {@link METRIC_NAMES} are allowed (bucketed metrics). */
export type Metrics = Record<string, number>;
