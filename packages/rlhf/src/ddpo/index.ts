/**
 * DDPO for `@dpo-ts/diffusion` denoisers (Black et al. 2023): the config, per-prompt reward
 * normalisation, the per-step clipped objective on rlhf's `clippedPolicyLoss`, trajectory
 * sampling with log-probabilities, and the trainer.
 * @packageDocumentation
 */
export {
  DEFAULT_DDPO_CONFIG,
  resolveDDPOConfig,
  type DDPOConfig,
  type ResolvedDDPOConfig,
  type PerPromptStatTrackingConfig,
} from './ddpo-config.js';
export { PerPromptStatTracker, normalizeRewards, type PerPromptStatTrackerState } from './per-prompt-stat-tracker.js';
export { ddpoLoss, type DDPOLoss, type DDPOLossInputs } from './ddpo-loss.js';
export { DDPO_METRIC_NAMES } from './ddpo-metrics.js';
export {
  createDDPOUpdateTask,
  ddpoUpdateBatch,
  ddpoUpdateLoss,
  ddpoUpdateTaskSpec,
  DDPO_REFERENCE_PREFIX,
  type DDPOUpdateBatch,
  type DDPOUpdateSettings,
  type DDPOUpdateTaskConfig,
} from './ddpo-update-task.js';
export { collectDDPORollout, type DDPORollout, type DDPORolloutOptions } from './ddpo-rollout.js';
export { openDDPOSamplingPool, type DDPOSamplingPool } from './ddpo-sampling-pool.js';
export { DDPOTrainer, type DDPOTrainerOptions, type DDPOTrainOptions } from './ddpo-trainer.js';
export { resolveDDPOConditions, evaluateDDPO, type ConditionExample, type DDPOConditions } from './ddpo-dataset.js';
