import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger, requireNumber, requireOneOf } from '../errors/validate.js';

/**
 * Learning-rate schedule kinds, with transformers' `lr_scheduler_type` names (TRL passes them
 * through). Note that transformers' `'constant'` ignores warm-up; `'constant_with_warmup'`
 * is linear warm-up then constant.
 */
export type LRScheduleType = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine';

/** Every {@link LRScheduleType}, for validation and CLIs. */
export const LR_SCHEDULE_TYPES: readonly LRScheduleType[] = Object.freeze([
  'constant',
  'constant_with_warmup',
  'linear',
  'cosine',
]);

/** A learning rate for each 0-based optimiser step. Pure: same step, same number. */
export type LRSchedule = (step: number) => number;

/** Configuration of {@link createLRSchedule}. */
export interface LRScheduleConfig {
  /** Peak learning rate, reached at the end of warm-up (transformers' `learning_rate`). */
  readonly learningRate: number;
  /** Optimiser steps of the whole run (transformers' `num_training_steps`), >= 1. */
  readonly totalSteps: number;
  /** Schedule kind. @defaultValue `'linear'` (transformers' and TRL's default) */
  readonly type?: LRScheduleType;
  /** Warm-up steps; when > 0 it wins over `warmupRatio`, as in transformers. @defaultValue 0 */
  readonly warmupSteps?: number;
  /** Warm-up as a fraction of `totalSteps`, rounded up: ceil(totalSteps * ratio). @defaultValue 0 */
  readonly warmupRatio?: number;
  /** Cosine waves over the decay phase; 0.5 decays once from peak to 0. @defaultValue 0.5 */
  readonly numCycles?: number;
}

/** {@link LRScheduleConfig} after validation, with defaults and warm-up resolved to steps. */
export interface ResolvedLRScheduleConfig {
  /** Peak learning rate, >= 0, reached at the end of warm-up. */
  readonly learningRate: number;
  /** Optimiser steps of the whole run, an integer >= 1. */
  readonly totalSteps: number;
  /** Schedule kind. */
  readonly type: LRScheduleType;
  /**
   * Warm-up length in steps, an integer in [0, totalSteps]: the given `warmupSteps` if > 0,
   * else ceil(totalSteps * warmupRatio).
   */
  readonly warmupSteps: number;
  /** Cosine waves over the decay phase, > 0 (read by `'cosine'` only). */
  readonly numCycles: number;
}

/** Defaults of the optional {@link LRScheduleConfig} fields. */
export const DEFAULT_LR_SCHEDULE_CONFIG = Object.freeze({
  /** Linear warm-up then linear decay to 0 (transformers' and TRL's default). */
  type: 'linear' as LRScheduleType,
  /** No warm-up steps. */
  warmupSteps: 0,
  /** No warm-up fraction. */
  warmupRatio: 0,
  /** Half a cosine wave: one decay from peak to 0 (transformers' `num_cycles` default). */
  numCycles: 0.5,
});

/**
 * Validates a schedule configuration and resolves warm-up to a step count, as transformers'
 * `TrainingArguments.get_warmup_steps`: `warmupSteps` if > 0, else ceil(totalSteps * warmupRatio).
 */
export function resolveLRScheduleConfig(config: LRScheduleConfig): ResolvedLRScheduleConfig {
  const merged = { ...DEFAULT_LR_SCHEDULE_CONFIG, ...config };
  const learningRate = requireNumber('learningRate', merged.learningRate, { min: 0 });
  const totalSteps = requireInteger('totalSteps', merged.totalSteps, { min: 1 });
  const type = requireOneOf('type', merged.type, LR_SCHEDULE_TYPES);
  const warmupStepsGiven = requireInteger('warmupSteps', merged.warmupSteps, { min: 0 });
  const warmupRatio = requireNumber('warmupRatio', merged.warmupRatio, { min: 0, max: 1 });
  const numCycles = requireNumber('numCycles', merged.numCycles, { min: 0, exclusiveMin: true });
  const warmupSteps = warmupStepsGiven > 0 ? warmupStepsGiven : Math.ceil(totalSteps * warmupRatio);
  if (warmupSteps > totalSteps) {
    throw new InvalidArgumentError('warmupSteps', `an integer <= totalSteps (${totalSteps})`, warmupSteps);
  }
  return { learningRate, totalSteps, type, warmupSteps, numCycles };
}

/**
 * The multiplier of the peak learning rate at a 0-based step, transformers' `lr_lambda`s
 * (W = warm-up steps, T = total steps, p = (step - W) / max(1, T - W)):
 *
 * - warm-up (every type but `'constant'`), step < W: step / max(1, W). Step 0 gets lr 0, as
 *   in transformers (LambdaLR evaluates lambda(0) for the first update).
 * - `'constant'`: 1 at every step (warm-up ignored, as `get_constant_schedule`).
 * - `'constant_with_warmup'`: 1 after warm-up.
 * - `'linear'`: max(0, (T - step) / max(1, T - W)).
 * - `'cosine'`: max(0, 0.5 * (1 + cos(pi * numCycles * 2 * p))).
 *
 * @see huggingface/transformers `optimization.py`: `get_linear_schedule_with_warmup`,
 *   `get_cosine_schedule_with_warmup`, `get_constant_schedule_with_warmup`.
 */
export function lrMultiplier(config: ResolvedLRScheduleConfig, step: number): number {
  const { type, warmupSteps: W, totalSteps: T, numCycles } = config;
  if (type === 'constant') return 1;
  if (step < W) return step / Math.max(1, W);
  switch (type) {
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (T - step) / Math.max(1, T - W));
    case 'cosine': {
      const progress = (step - W) / Math.max(1, T - W);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
    }
  }
}

/**
 * A learning-rate schedule: linear warm-up, then constant, linear decay to 0 or half-cosine
 * decay to 0, with transformers' formulas (see {@link lrMultiplier}).
 *
 * The returned function takes the 0-based index of the optimiser step about to be taken, the
 * `stepIndex` {@link runTrainingLoop} passes to its step callback. Steps past the end keep the
 * formula (linear and cosine stay at 0 until the cosine's next cycle).
 *
 * @example
 * const schedule = createLRSchedule({ learningRate: 5e-7, totalSteps: 1000, warmupRatio: 0.1 });
 * optimizer.applyGradients(grads, schedule(stepIndex));
 */
export function createLRSchedule(config: LRScheduleConfig): LRSchedule {
  const resolved = resolveLRScheduleConfig(config);
  return (step: number): number => {
    requireInteger('step', step, { min: 0 });
    return resolved.learningRate * lrMultiplier(resolved, step);
  };
}
