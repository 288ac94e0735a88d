/**
 * `@dpo-ts/reward`: Bradley-Terry reward models for dpo-ts. Item-level Bradley-Terry
 * maximum-likelihood fits (with home advantage and ties) and sequence reward models: a GPT
 * backbone with a scalar head, its loss, metrics, trainer and file format.
 * @packageDocumentation
 */
export * from './bradley-terry/index.js';

// Sequence reward models
export { ScalarHead, type ScalarHeadOptions } from './scalar-head.js';
export { lastTokenIndices, selectPerRow } from './last-token.js';
export {
  SequenceRewardModel,
  type SequenceRewardModelOptions,
  type PromptCompletion,
  type ScoreTextsOptions,
} from './sequence-reward-model.js';
export { bradleyTerryRewardLoss, type RewardLoss, type RewardLossInputs } from './reward-loss.js';
export { rewardMetricTensors, type RewardMetricTensors } from './reward-metrics.js';
export {
  tokenizeRewardPairs,
  buildRewardBatch,
  type TokenizedRewardPair,
  type TokenizedRewardPairs,
  type RewardBatch,
} from './reward-pairs.js';
export {
  DEFAULT_REWARD_TRAINER_CONFIG,
  resolveRewardTrainerConfig,
  type RewardTrainerConfig,
  type ResolvedRewardTrainerConfig,
} from './reward-trainer-config.js';
export { RewardTrainer, type RewardTrainerOptions } from './reward-trainer.js';
export { saveRewardModel, loadRewardModel, REWARD_MODEL_FORMAT, type RewardHeadManifest } from './reward-model-io.js';
export {
  saveTrainedRewardModel,
  loadTrainedRewardModel,
  REWARD_MODEL_MODALITY,
  type SavedRewardModel,
  type SaveTrainedRewardModelOptions,
} from './saved-reward-model.js';
export {
  createRewardModelTask,
  rewardModelTaskSpec,
  rewardLossAndMetrics,
  type RewardModelTaskConfig,
} from './reward-model-task.js';
