export {
  grpoAdvantages,
  rlooAdvantages,
  unbiasedStd,
  ADVANTAGE_STD_EPSILON,
  SCALE_REWARDS,
  type ScaleRewards,
  type GroupAdvantages,
} from './group-advantages.js';
export {
  grpoLoss,
  rlooLoss,
  GRPO_LOSS_TYPES,
  CLIP_RATIO_METRIC_NAMES,
  type GRPOLossType,
  type GroupLossNormalization,
  type GroupPolicyLossInputs,
  type GroupPolicyLoss,
} from './group-policy-loss.js';
export { GROUP_METRIC_NAMES, completionMetrics } from './group-metrics.js';
export { collectGroupRollout, type GroupRollout, type GroupRolloutOptions } from './group-rollout.js';
export {
  DEFAULT_GROUP_CONFIG,
  resolveGroupConfig,
  type GroupConfig,
  type ResolvedGroupConfig,
} from './group-config.js';
export { DEFAULT_GRPO_CONFIG, resolveGRPOConfig, type GRPOConfig, type ResolvedGRPOConfig } from './grpo-config.js';
export { DEFAULT_RLOO_CONFIG, resolveRLOOConfig, type RLOOConfig, type ResolvedRLOOConfig } from './rloo-config.js';
export type { GroupTrainerOptions, PromptExample } from './group-trainer-options.js';
export { GroupTrainerBase } from './group-trainer-base.js';
export {
  createGroupUpdateTask,
  groupUpdateBatch,
  groupUpdateLoss,
  groupUpdateTaskSpec,
  type GroupLossSettings,
  type GroupUpdateBatch,
  type GroupUpdateTaskConfig,
} from './group-update-task.js';
export { GRPOTrainer } from './grpo-trainer.js';
export { RLOOTrainer } from './rloo-trainer.js';
