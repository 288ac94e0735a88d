import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireFloat32, requireInteger, requireOneOf } from '../errors/validate.js';
import { ADAMW_LIMITS } from './adamw-optimizer.js';
import { LR_SCHEDULE_TYPES, type LRScheduleType } from './lr-schedule.js';

/**
 * The optimiser and learning-rate settings every dpo-ts trainer shares (preference, SFT,
 * reward, PPO, DDPO), named after transformers' `TrainingArguments` (which TRL's configs
 * extend), camel-cased. Each trainer's config extends this interface and supplies its own
 * defaults where TRL's differ (learning rate 1e-6 for DPO, 2e-5 for SFT, ...) through
 * {@link resolveOptimizationConfig}.
 */
export interface OptimizationConfig {
  /** Optimiser steps of the whole run (transformers' `max_steps`). */
  readonly totalSteps: number;
  /** Peak AdamW learning rate. @defaultValue the trainer's; 5e-5 (transformers) when it sets none */
  readonly learningRate?: number;
  /** Learning-rate schedule. @defaultValue the trainer's; 'linear' (transformers) when it sets none */
  readonly lrSchedule?: LRScheduleType;
  /** Linear warm-up steps; when > 0 it wins over `warmupRatio`. @defaultValue 0 */
  readonly warmupSteps?: number;
  /** Fraction of totalSteps used for warm-up when warmupSteps is 0. @defaultValue 0 */
  readonly warmupRatio?: number;
  /** Decoupled weight decay, applied to every weight. @defaultValue the trainer's; 0 (transformers) when it sets none */
  readonly weightDecay?: number;
  /** AdamW's first-moment decay. @defaultValue 0.9 */
  readonly adamBeta1?: number;
  /** AdamW's second-moment decay. @defaultValue 0.999 */
  readonly adamBeta2?: number;
  /** AdamW's denominator constant. @defaultValue 1e-8 */
  readonly adamEpsilon?: number;
  /** Clip the global gradient norm to this; Infinity disables. @defaultValue the trainer's; 1 (transformers) when it sets none */
  readonly maxGradNorm?: number;
}

/** An {@link OptimizationConfig} validated, every default filled in. */
export interface ResolvedOptimizationConfig {
  /** Optimiser steps of the whole run, an integer >= 1 (transformers' `max_steps`). */
  readonly totalSteps: number;
  /** Peak AdamW learning rate, in [0, 1000] and float32-representable (transformers' `learning_rate`). */
  readonly learningRate: number;
  /** Learning-rate schedule: `'constant'`, `'constant_with_warmup'`, `'linear'` or `'cosine'` (transformers' `lr_scheduler_type`). */
  readonly lrSchedule: LRScheduleType;
  /**
   * Linear warm-up steps as given, an integer >= 0 (transformers' `warmup_steps`); when 0 the
   * schedule uses ceil(totalSteps * warmupRatio) instead.
   */
  readonly warmupSteps: number;
  /** Warm-up as a fraction of totalSteps, in [0, 1], used when warmupSteps is 0 (transformers' `warmup_ratio`). */
  readonly warmupRatio: number;
  /** Decoupled AdamW weight decay lambda, in [0, 1000] (transformers' `weight_decay`). */
  readonly weightDecay: number;
  /** AdamW's first-moment decay, in [0, 1) (transformers' `adam_beta1`). */
  readonly adamBeta1: number;
  /** AdamW's second-moment decay, in [0, 1) (transformers' `adam_beta2`). */
  readonly adamBeta2: number;
  /** AdamW's denominator constant, in (0, 1] (transformers' `adam_epsilon`). */
  readonly adamEpsilon: number;
  /** Global gradient-norm clip threshold, > 0; Infinity disables clipping (transformers' `max_grad_norm`). */
  readonly maxGradNorm: number;
}

/** Defaults a trainer may set for the optional {@link OptimizationConfig} fields. */
export type OptimizationDefaults = Partial<Omit<ResolvedOptimizationConfig, 'totalSteps'>>;

/** transformers' `TrainingArguments` defaults, used where a trainer sets none of its own. */
export const DEFAULT_OPTIMIZATION_CONFIG = Object.freeze({
  /** transformers' `learning_rate` default. */
  learningRate: 5e-5,
  /** transformers' `lr_scheduler_type` default: linear warm-up, then linear decay to 0. */
  lrSchedule: 'linear' as LRScheduleType,
  /** No warm-up steps (transformers' `warmup_steps`). */
  warmupSteps: 0,
  /** No warm-up fraction (transformers' `warmup_ratio`). */
  warmupRatio: 0,
  /** No weight decay (transformers' `weight_decay`). */
  weightDecay: 0,
  /** AdamW's first-moment decay (transformers' `adam_beta1`). */
  adamBeta1: 0.9,
  /** AdamW's second-moment decay (transformers' `adam_beta2`). */
  adamBeta2: 0.999,
  /** AdamW's denominator constant (transformers' `adam_epsilon`). */
  adamEpsilon: 1e-8,
  /** Clip the global gradient norm at 1 (transformers' `max_grad_norm`). */
  maxGradNorm: 1,
});

/** Every field name of {@link OptimizationConfig}, for configs that refuse unknown fields. */
export const OPTIMIZATION_CONFIG_FIELDS: readonly (keyof OptimizationConfig)[] = Object.freeze([
  'totalSteps',
  'learningRate',
  'lrSchedule',
  'warmupSteps',
  'warmupRatio',
  'weightDecay',
  'adamBeta1',
  'adamBeta2',
  'adamEpsilon',
  'maxGradNorm',
]);

/**
 * Merges the {@link OptimizationConfig} fields of `config` over `defaults` (then over
 * {@link DEFAULT_OPTIMIZATION_CONFIG}) and validates each once. Other fields of `config` are
 * ignored: the trainer's own resolver validates them.
 *
 * @param config - a trainer config; `undefined` fields count as absent.
 * @param defaults - the trainer's defaults, e.g. `{ learningRate: 1e-6 }` for DPO (TRL).
 * @param argument - the name errors use for the config, `'config'` by default.
 * Every number must also be representable as float32 (the tensors' type: `1e39` would become
 * Infinity) and within {@link ADAMW_LIMITS} (learning rate and weight decay at most 1000,
 * epsilon in (0, 1]).
 *
 * @throws InvalidArgumentError naming the field with its path, what it accepts and what it
 *   got: `config.learningRate must be a finite number >= 0 and <= 1000: got -1`.
 * @example
 * const optimization = resolveOptimizationConfig(config, { learningRate: 2e-5 }); // TRL's SFT default
 */
export function resolveOptimizationConfig(
  config: OptimizationConfig,
  defaults: OptimizationDefaults = {},
  argument = 'config',
): ResolvedOptimizationConfig {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError(argument, 'an object', config);
  const merged = { ...DEFAULT_OPTIMIZATION_CONFIG, ...definedFields(defaults), ...definedFields(config) };
  const field = (name: keyof OptimizationConfig): string => `${argument}.${name}`;
  return Object.freeze({
    totalSteps: requireInteger(field('totalSteps'), merged.totalSteps, { min: 1 }),
    learningRate: requireFloat32(field('learningRate'), merged.learningRate, {
      min: 0,
      max: ADAMW_LIMITS.maxLearningRate,
    }),
    lrSchedule: requireOneOf(field('lrSchedule'), merged.lrSchedule, LR_SCHEDULE_TYPES),
    warmupSteps: requireInteger(field('warmupSteps'), merged.warmupSteps, { min: 0 }),
    warmupRatio: requireFloat32(field('warmupRatio'), merged.warmupRatio, { min: 0, max: 1 }),
    weightDecay: requireFloat32(field('weightDecay'), merged.weightDecay, { min: 0, max: ADAMW_LIMITS.maxWeightDecay }),
    adamBeta1: requireFloat32(field('adamBeta1'), merged.adamBeta1, { min: 0, max: 1, exclusiveMax: true }),
    adamBeta2: requireFloat32(field('adamBeta2'), merged.adamBeta2, { min: 0, max: 1, exclusiveMax: true }),
    adamEpsilon: requireFloat32(field('adamEpsilon'), merged.adamEpsilon, {
      min: 0,
      max: ADAMW_LIMITS.maxEpsilon,
      exclusiveMin: true,
    }),
    maxGradNorm:
      merged.maxGradNorm === Infinity
        ? Infinity
        : requireFloat32(field('maxGradNorm'), merged.maxGradNorm, { min: 0, exclusiveMin: true }),
  });
}

/**
 * The fields of `value` that are not `undefined`, so that spreading it over defaults keeps a
 * default where the caller wrote `field: undefined`.
 */
export function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The fields of `value` named in `fields` (only those present), so that a resolver of a larger
 * config can hand another resolver exactly the fields that one owns: `resolveDPOConfig` passes
 * its {@link OptimizationConfig}, loss and TR-DPO fields to `resolvePreferenceTrainerConfig`,
 * which refuses any field it does not know.
 * @example
 * const preference = resolvePreferenceTrainerConfig(pickFields(config, PREFERENCE_TRAINER_CONFIG_FIELDS));
 */
export function pickFields<T extends object, K extends keyof T>(value: T, fields: readonly K[]): Pick<T, K> {
  return Object.fromEntries(
    fields.filter((field) => Object.hasOwn(value, field)).map((field) => [field, value[field]]),
  ) as Pick<T, K>;
}
