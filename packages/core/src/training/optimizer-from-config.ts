import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import { createLRSchedule, type LRSchedule } from './lr-schedule.js';
import type { ResolvedOptimizationConfig } from './optimization-config.js';
import { requireTrainSteps } from './train-steps.js';

/** The fields of a resolved config that {@link adamWFromConfig} reads. */
export type AdamWSettings = Pick<
  ResolvedOptimizationConfig,
  'learningRate' | 'adamBeta1' | 'adamBeta2' | 'adamEpsilon' | 'weightDecay'
>;

/** The fields of a resolved config that {@link lrScheduleFromConfig} reads; `warmupRatio` may be absent (0). */
export type LRScheduleSettings = Pick<
  ResolvedOptimizationConfig,
  'learningRate' | 'totalSteps' | 'lrSchedule' | 'warmupSteps'
> &
  Partial<Pick<ResolvedOptimizationConfig, 'warmupRatio'>>;

/**
 * The {@link AdamWOptimizer} a trainer runs for a resolved {@link OptimizationConfig}:
 * `adamBeta1`, `adamBeta2`, `adamEpsilon` and `weightDecay` (on every weight) map onto AdamW's
 * `beta1`, `beta2`, `epsilon`, `weightDecay`; `learningRate` is the default rate (trainers pass
 * the scheduled one to each `applyGradients`).
 *
 * @param variables - the trained variables by stable name (their moments are keyed the same).
 * @returns a new optimiser; the caller disposes it (its moment variables).
 */
export function adamWFromConfig(variables: NamedVariables, config: AdamWSettings): AdamWOptimizer {
  return new AdamWOptimizer(variables, {
    learningRate: config.learningRate,
    beta1: config.adamBeta1,
    beta2: config.adamBeta2,
    epsilon: config.adamEpsilon,
    weightDecay: config.weightDecay,
  });
}

/**
 * The learning-rate schedule of a resolved {@link OptimizationConfig} (core's
 * `createLRSchedule` with `lrSchedule` as its type), over `config.totalSteps` optimiser steps.
 * A trainer that takes several optimiser steps per training step (PPO epochs, DDPO inner
 * epochs) passes its count of optimiser steps as `totalSteps`.
 *
 * @example
 * const schedule = lrScheduleFromConfig({ ...config, totalSteps: config.totalSteps * updatesPerStep });
 */
export function lrScheduleFromConfig(config: LRScheduleSettings): LRSchedule {
  return createLRSchedule({
    learningRate: config.learningRate,
    totalSteps: requireTrainSteps(config),
    type: config.lrSchedule,
    warmupSteps: config.warmupSteps,
    ...(config.warmupRatio !== undefined ? { warmupRatio: config.warmupRatio } : {}),
  });
}
