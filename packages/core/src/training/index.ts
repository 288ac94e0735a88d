/**
 * `@dpo-ts/core/training`: what runs a training: AdamW, learning-rate schedules, gradient
 * clipping and accumulation, the micro-batch step, the NaN guard, training arguments and their
 * resolution, the training loop with progress, evaluation and resume, and verified checkpoints.
 * Importing it registers tfjs-core's gradients, as the main entry does.
 * @packageDocumentation
 */
// tfjs-core's gradients, registered once for the process (see ../register-all-gradients.ts).
import '../register-all-gradients.js';
export { Rng, type RngState } from './rng.js';
export { mixSeeds } from './mix-seeds.js';
export {
  AdamWOptimizer,
  DEFAULT_ADAMW_CONFIG,
  ADAMW_LIMITS,
  type AdamWConfig,
  type AdamWMoments,
  type AdamWState,
  type GradientMap,
} from './adamw-optimizer.js';
export { computeNamedGradients, type NamedGradients } from './named-gradients.js';
export { clipGradNorm, globalGradNorm, CLIP_GRAD_NORM_EPSILON, type ClippedGradients } from './clip-grad-norm.js';
export { accumulateGradients } from './accumulate-gradients.js';
export { applyGradientStep, type GradientStepOptions } from './apply-gradient-step.js';
export {
  createLRSchedule,
  resolveLRScheduleConfig,
  lrMultiplier,
  DEFAULT_LR_SCHEDULE_CONFIG,
  LR_SCHEDULE_TYPES,
  type LRSchedule,
  type LRScheduleConfig,
  type LRScheduleType,
  type ResolvedLRScheduleConfig,
} from './lr-schedule.js';
export {
  assertFinite,
  assertFiniteMetrics,
  assertFiniteValues,
  findNonFiniteTensor,
  type NonFiniteElement,
} from './non-finite-guard.js';
export {
  resolveOptimizationConfig,
  definedFields,
  pickFields,
  DEFAULT_OPTIMIZATION_CONFIG,
  OPTIMIZATION_CONFIG_FIELDS,
  type OptimizationConfig,
  type OptimizationDefaults,
  type ResolvedOptimizationConfig,
} from './optimization-config.js';
export {
  adamWFromConfig,
  lrScheduleFromConfig,
  type AdamWSettings,
  type LRScheduleSettings,
} from './optimizer-from-config.js';
export {
  resolveTrainingArguments,
  stepBatchOptions,
  DEFAULT_TRAINING_ARGUMENTS,
  TRAINING_ARGUMENTS_FIELDS,
  type TrainingArguments,
  type TrainingArgumentsDefaults,
  type ResolvedTrainingArguments,
} from './training-arguments.js';
export { trainStepsFromEpochs, withTrainSteps, requireTrainSteps, type EpochStepSettings } from './train-steps.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_FORMAT_VERSIONS_READ,
  CHECKPOINT_FILES,
  manifestDigest,
  sha256Hex,
  checkpointDirectoryName,
  parseCheckpointDirectoryName,
  parseCheckpointManifest,
  type CheckpointDType,
  type CheckpointManifest,
  type CheckpointTensorEntry,
  type JsonValue,
  type TensorData,
} from './checkpoint-format.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  findLatestCheckpoint,
  listCheckpoints,
  loadLatestCheckpoint,
  CHECKPOINT_SAVE_POINTS,
  type CheckpointContent,
  type CheckpointListing,
  type CheckpointSavePoint,
  type LoadedCheckpoint,
  type SaveCheckpointOptions,
  type SavedCheckpoint,
} from './checkpoint.js';
export { readLatestPointer } from './checkpoint-directory.js';
export { recoverCheckpointDirectory } from './checkpoint-recovery.js';
export { acquireCheckpointLock, type CheckpointLock, type CheckpointLockHolder } from './checkpoint-lock.js';
export { resumeFromCheckpoint, type ResumeExpectations } from './checkpoint-resume.js';
export { restoreWeights, type RestoreWeightsOptions } from './restore-weights.js';
export {
  ProgressReporter,
  formatDuration,
  formatMetric,
  formatRate,
  formatProgressLine,
  type ProgressOptions,
} from './progress.js';
export {
  runTrainingLoop,
  type HistoryEntry,
  type StepMetrics,
  type TrainingLoopCheckpointOptions,
  type TrainingLoopOptions,
  type TrainingLoopResult,
} from './training-loop.js';
export {
  runTrainerLoop,
  trainingArgumentsLoop,
  evalPrefixed,
  type TrainOptions,
  type TrainCheckpointOptions,
  type TrainLogEntry,
  type TrainerLoopParts,
} from './train-options.js';
export { Throughput, type ThroughputRates } from './throughput.js';
export {
  resolveWorkers,
  engineWorkers,
  DEFAULT_WORKERS,
  PARALLEL_TRAINING_ARGUMENTS_FIELDS,
  type ParallelTrainingArguments,
} from './parallel-training-arguments.js';
export {
  microBatchStep,
  type MicroBatchStepOptions,
  type MicroBatchStepResult,
} from './micro-batch-step.js';
