export { pairsFromJudge, pairsFromScores, type OnlinePairs, type PairwiseJudge } from './online-dpo-pairs.js';
export {
  DEFAULT_ONLINE_DPO_CONFIG,
  resolveOnlineDPOConfig,
  type OnlineDPOConfig,
  type ResolvedOnlineDPOConfig,
} from './online-dpo-config.js';
export {
  collectOnlinePairs,
  ONLINE_DPO_METRIC_NAMES,
  type OnlineDPOLabeler,
  type OnlinePairBatch,
  type OnlinePairOptions,
} from './online-dpo-rollout.js';
export { OnlineDPOTrainer, type OnlineDPOTrainerOptions } from './online-dpo-trainer.js';
export {
  createOnlineDPOUpdateTask,
  onlineDPOUpdateBatch,
  onlineDPOUpdateLoss,
  onlineDPOUpdateTaskSpec,
  type OnlineDPOUpdateBatch,
  type OnlineDPOUpdateTaskConfig,
} from './online-dpo-update-task.js';
