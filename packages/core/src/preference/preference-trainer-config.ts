import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireBoolean, requireInteger, requireNumber, requireOneOf } from '../errors/validate.js';
import {
  resolvePreferenceLossConfig,
  type PreferenceLossConfig,
  type ResolvedPreferenceLossConfig,
} from '../losses/preference-loss-config.js';
import { LR_SCHEDULE_TYPES, type LRScheduleType } from '../training/lr-schedule.js';

/**
 * Optimisation settings of a preference trainer (DPO and every loss variant, any modality),
 * named after TRL's `DPOConfig` / transformers' `TrainingArguments`, camel-cased.
 */
export interface PreferenceTrainerConfig extends Partial<PreferenceLossConfig> {
  /** Optimiser steps of the whole run. */
  readonly totalSteps: number;
  /** Peak AdamW learning rate. @defaultValue 1e-6 (TRL's DPOConfig) */
  readonly learningRate?: number;
  /** @defaultValue 'linear' (transformers) */
  readonly lrSchedule?: LRScheduleType;
  /** @defaultValue 0 */
  readonly warmupSteps?: number;
  /** Fraction of totalSteps used for warm-up when warmupSteps is 0. @defaultValue 0 */
  readonly warmupRatio?: number;
  /** Decoupled weight decay. @defaultValue 0 (transformers) */
  readonly weightDecay?: number;
  /** @defaultValue 0.9 */
  readonly adamBeta1?: number;
  /** @defaultValue 0.999 */
  readonly adamBeta2?: number;
  /** @defaultValue 1e-8 */
  readonly adamEpsilon?: number;
  /** Clip the global gradient norm to this; Infinity disables. @defaultValue 1 (transformers) */
  readonly maxGradNorm?: number;
  /** TR-DPO: softly update the reference model from the policy. @defaultValue false */
  readonly syncRefModel?: boolean;
  /** TR-DPO alpha: pi_ref = alpha * pi_theta + (1 - alpha) * pi_ref. @defaultValue 0.6 (TRL) */
  readonly refModelMixupAlpha?: number;
  /** TR-DPO tau: steps between reference updates. @defaultValue 512 (TRL) */
  readonly refModelSyncSteps?: number;
}

/** A validated {@link PreferenceTrainerConfig}, every field filled in. */
export interface ResolvedPreferenceTrainerConfig {
  readonly loss: ResolvedPreferenceLossConfig;
  readonly totalSteps: number;
  readonly learningRate: number;
  readonly lrSchedule: LRScheduleType;
  readonly warmupSteps: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEpsilon: number;
  readonly maxGradNorm: number;
  readonly syncRefModel: boolean;
  readonly refModelMixupAlpha: number;
  readonly refModelSyncSteps: number;
}

/** Defaults of the optimisation fields (the loss fields default as `DEFAULT_PREFERENCE_LOSS_CONFIG`). */
export const DEFAULT_PREFERENCE_TRAINER_CONFIG = Object.freeze({
  learningRate: 1e-6,
  lrSchedule: 'linear' as LRScheduleType,
  warmupSteps: 0,
  warmupRatio: 0,
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  syncRefModel: false,
  refModelMixupAlpha: 0.6,
  refModelSyncSteps: 512,
});

/** Merges `config` over the defaults and validates every field once. */
export function resolvePreferenceTrainerConfig(config: PreferenceTrainerConfig): ResolvedPreferenceTrainerConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
  const merged = { ...DEFAULT_PREFERENCE_TRAINER_CONFIG, ...stripUndefined(config) };
  const maxGradNorm = merged.maxGradNorm === Infinity ? Infinity : requireNumber('config.maxGradNorm', merged.maxGradNorm, { min: 0, exclusiveMin: true });
  return Object.freeze({
    loss: resolvePreferenceLossConfig({
      beta: config.beta,
      lossType: config.lossType,
      lossWeights: config.lossWeights,
      referenceFree: config.referenceFree,
      labelSmoothing: config.labelSmoothing,
      ipoNormalizeLength: config.ipoNormalizeLength,
      discopopTau: config.discopopTau,
      simpoGamma: config.simpoGamma,
    }),
    totalSteps: requireInteger('config.totalSteps', merged.totalSteps, { min: 1 }),
    learningRate: requireNumber('config.learningRate', merged.learningRate, { min: 0 }),
    lrSchedule: requireOneOf('config.lrSchedule', merged.lrSchedule, LR_SCHEDULE_TYPES),
    warmupSteps: requireInteger('config.warmupSteps', merged.warmupSteps, { min: 0 }),
    warmupRatio: requireNumber('config.warmupRatio', merged.warmupRatio, { min: 0, max: 1 }),
    weightDecay: requireNumber('config.weightDecay', merged.weightDecay, { min: 0 }),
    adamBeta1: requireNumber('config.adamBeta1', merged.adamBeta1, { min: 0, max: 1, exclusiveMax: true }),
    adamBeta2: requireNumber('config.adamBeta2', merged.adamBeta2, { min: 0, max: 1, exclusiveMax: true }),
    adamEpsilon: requireNumber('config.adamEpsilon', merged.adamEpsilon, { min: 0, exclusiveMin: true }),
    maxGradNorm,
    syncRefModel: requireBoolean('config.syncRefModel', merged.syncRefModel),
    refModelMixupAlpha: requireNumber('config.refModelMixupAlpha', merged.refModelMixupAlpha, { min: 0, max: 1 }),
    refModelSyncSteps: requireInteger('config.refModelSyncSteps', merged.refModelSyncSteps, { min: 1 }),
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
