/**
 * `@dpo-ts/rlhf`: RLHF baselines for dpo-ts. PPO for language models (TRL's `PPOTrainer`
 * semantics) with a plain reward function or a Bradley-Terry reward model, and the objective
 * pieces it is built from, shared with DDPO for diffusion: the clipped-ratio policy loss, the
 * clipped value loss, GAE, KL estimators and controllers, masked whitening. The critic-free
 * RLOO and GRPO trainers (k completions per prompt) and online DPO (fresh on-policy pairs, any
 * core preference loss), all with TRL's config and metric names.
 * @packageDocumentation
 */

// Objective pieces (pure tensor functions, shared with DDPO)
export { maskedMean, maskedVariance, maskedWhiten, type WhitenOptions } from './whiten.js';
export { klPenalty, KL_ESTIMATORS, type KLEstimator } from './kl-estimators.js';
export { generalizedAdvantageEstimation, type GAEInputs, type GAEResult } from './gae.js';
export { clippedPolicyLoss, type ClippedPolicyLoss, type ClippedPolicyLossInputs } from './clipped-policy-loss.js';
export { clippedValueLoss, type ClippedValueLoss, type ClippedValueLossInputs } from './clipped-value-loss.js';
export {
  AdaptiveKLController,
  FixedKLController,
  klControllerFromState,
  type KLController,
  type KLControllerState,
} from './adaptive-kl-controller.js';

// Rewards
export {
  computeRewardScores,
  type RewardFunction,
  type RewardBatch,
  type BatchRewardScorer,
  type RewardSource,
} from './reward-source.js';
export { rewardModelScorer, type RewardModelScorerOptions } from './reward-model-scorer.js';

// PPO for language models
export { PPO_METRIC_NAMES, PPO_TIMING_METRIC_NAMES, PPO_VALUE_WARMUP_METRIC } from './ppo-metrics.js';
export {
  DEFAULT_PPO_CONFIG,
  resolvePPOConfig,
  type PPOConfig,
  type ResolvedPPOConfig,
  type KLControllerType,
} from './ppo-config.js';
export {
  layoutRollout,
  layoutRows,
  rolloutTensors,
  pickRows,
  type RolloutLayout,
  type RolloutTensors,
} from './rollout-layout.js';
export { responseHiddenStates, responseLogProbs, outputLogits, type ResponseLogProbs } from './response-forward.js';
export { computePPOTargets, type PPOTargetInputs, type PPOTargets } from './ppo-targets.js';
export { collectRollout, type PPOModels, type PPORolloutBatch, type RolloutOptions } from './ppo-rollout.js';
export { generateRollout, type RolloutGenerateOptions, type RolloutSampling } from './rollout-generation.js';
export {
  DEFAULT_SAMPLING_WORKERS,
  ROLLOUT_ROWS_PER_TASK,
  resolveSamplingWorkersArgument,
  type SamplingWorkersArgument,
} from './sampling-workers.js';
export { ppoLoss, type PPOLoss, type PPOLossOptions, type PPOUpdateBatch } from './ppo-loss.js';
export {
  createPPOUpdateTask,
  ppoUpdateBatch,
  ppoUpdateTaskConfig,
  ppoUpdateTaskSpec,
  ppoUpdateVariables,
  type PPOUpdateModels,
  type PPOUpdateTaskConfig,
} from './ppo-update-task.js';
export { PPOTrainer } from './ppo-trainer.js';
export { policyUpdateVariables } from './policy-update-variables.js';
export {
  savePolicyModel,
  loadPolicyModel,
  VALUE_HEAD_FORMAT,
  VALUE_HEAD_FILES,
  CRITIC_FILES,
  type SavedPolicyModel,
  type SavePolicyModelOptions,
  type ValueHeadManifest,
} from './saved-policy-model.js';
export type { PPOTrainerOptions, PPOTrainOptions } from './ppo-trainer-options.js';
export * from './ddpo/index.js';

// What RLOO, GRPO and online DPO share: a GPT policy trained on { prompt } data
export {
  PromptPolicyTrainerBase,
  type PromptPolicyTrainerConfig,
  type PromptPolicyTrainerInputs,
  type PromptPolicySettings,
} from './prompt-policy-trainer-base.js';

// RLOO and GRPO: critic-free, G completions per prompt
export * from './group/index.js';

// Online DPO: fresh on-policy pairs each step, any core preference loss
export * from './online-dpo/index.js';
export { evaluateCompletions, type EvaluateCompletionsOptions } from './evaluate-completions.js';
export { encodePrompt, datasetPrompts } from './prompt-encoding.js';
