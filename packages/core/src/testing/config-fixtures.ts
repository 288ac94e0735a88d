import type { PreferenceTrainerConfig } from '../preference/preference-trainer-config.js';
import type { TrainingArguments } from '../training/training-arguments.js';

/**
 * Every {@link TrainingArguments} field set to a valid value that is not its default. Config
 * tests of every trainer spread it into a `Required<TheirConfig>` literal: a field added to a
 * config type then fails to compile until the test lists it, and fails the test until the
 * resolver knows it (resolvers refuse unknown fields).
 */
export const EVERY_TRAINING_ARGUMENTS_FIELD: Required<TrainingArguments> = Object.freeze({
  totalSteps: 10,
  numTrainEpochs: 2,
  learningRate: 1e-3,
  lrSchedule: 'cosine',
  warmupSteps: 2,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  adamBeta1: 0.8,
  adamBeta2: 0.99,
  adamEpsilon: 1e-6,
  maxGradNorm: 2,
  perDeviceTrainBatchSize: 4,
  perDeviceEvalBatchSize: 6,
  gradientAccumulationSteps: 2,
  seed: 7,
  evalSteps: 5,
  saveSteps: 5,
  saveTotalLimit: 2,
  loggingSteps: 1,
});

/**
 * Every field of a preference trainer's config beyond {@link TrainingArguments}: the loss
 * (`beta`, `lossType` with matching `lossWeights`, ...), TR-DPO and `workers`, set to valid non-default
 * values, for the same use as {@link EVERY_TRAINING_ARGUMENTS_FIELD}.
 */
export const EVERY_PREFERENCE_FIELD: Required<Omit<PreferenceTrainerConfig, keyof TrainingArguments>> = Object.freeze({
  beta: 0.2,
  lossType: ['sigmoid', 'sft'] as const,
  lossWeights: [1, 0.5] as const,
  referenceFree: false,
  labelSmoothing: 0.1,
  ipoNormalizeLength: false,
  discopopTau: 0.1,
  simpoGamma: 0.5,
  syncRefModel: true,
  refModelMixupAlpha: 0.5,
  refModelSyncSteps: 4,
  workers: 2,
});
