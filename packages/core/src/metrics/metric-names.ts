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
  loss: 'loss',
  gradNorm: 'grad_norm',
  learningRate: 'learning_rate',
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
  mseModelRejected: 'mse/model_rejected',
  mseReferenceChosen: 'mse/ref_chosen',
  mseReferenceRejected: 'mse/ref_rejected',

  // Reward model (Bradley-Terry), as TRL's RewardTrainer.
  accuracy: 'accuracy',
  margin: 'margin',
  meanReward: 'mean_reward',
  minReward: 'min_reward',
  maxReward: 'max_reward',

  // PPO / DDPO, as TRL's PPOTrainer.
  objectiveKl: 'objective/kl',
  objectiveEntropy: 'objective/entropy',
  objectiveNonScoreReward: 'objective/non_score_reward',
  objectiveRlhfReward: 'objective/rlhf_reward',
  objectiveScores: 'objective/scores',
  policyApproxKlAvg: 'policy/approxkl_avg',
  policyClipfracAvg: 'policy/clipfrac_avg',
  policyEntropyAvg: 'policy/entropy_avg',
  lossPolicyAvg: 'loss/policy_avg',
  lossValueAvg: 'loss/value_avg',
  valClipfracAvg: 'val/clipfrac_avg',
  valRatio: 'val/ratio',
  valNumEosTokens: 'val/num_eos_tokens',
  klCoefficient: 'kl_coef',
} as const;

/** Any metric key from {@link METRIC_NAMES}. */
export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** A row of metrics: key to value. Keys outside {@link METRIC_NAMES} are allowed (bucketed metrics). */
export type Metrics = Record<string, number>;
