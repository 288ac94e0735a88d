import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireBoolean, requireNumber } from '../errors/validate.js';
import type { PreferenceLossOptions, PreferenceLossType } from './preference-loss.js';
import { getPreferenceLoss } from './registry.js';

/**
 * How the preference loss is computed: which variants, their weights, beta and the variants'
 * options. Field names follow TRL's `DPOConfig` (`beta`, `loss_type`, `loss_weights`,
 * `reference_free`, `label_smoothing`, `discopop_tau`), camel-cased.
 */
export interface PreferenceLossConfig extends PreferenceLossOptions {
  /**
   * The DPO temperature beta: how strongly the policy is held to the reference (the implicit
   * reward is beta times the log-ratio). Must be >= 0, and > 0 when `lossType` includes `ipo`
   * or `sppo_hard`, whose targets are 1/(2 beta). Diffusion-DPO uses values in the thousands.
   * @defaultValue 0.1
   */
  readonly beta: number;
  /**
   * One loss variant, or several whose batch means are summed with `lossWeights` (TRL's
   * multi-loss `loss_type` list, e.g. MPO's `['sigmoid', 'bco_pair', 'sft']`). No repeats.
   * @defaultValue 'sigmoid'
   */
  readonly lossType: PreferenceLossType | readonly PreferenceLossType[];
  /**
   * One finite weight >= 0 per entry of `lossType`, in the same order.
   * @defaultValue one 1 per loss type
   */
  readonly lossWeights?: readonly number[];
  /**
   * Ignore the reference model: its scores are taken as 0, so every log-ratio is the policy
   * score itself (TRL's `reference_free`, an implicit uniform reference). Applies to every
   * variant, including the ones TRL 0.x computed from the raw reference scores regardless of
   * this flag (`bco_pair`, `sppo_hard`, `nca_pair`, `aot`, `aot_pair`, `discopop`, and the logged
   * rewards).
   * @defaultValue false
   */
  readonly referenceFree: boolean;
}

/** A validated {@link PreferenceLossConfig}: `lossType` always a list, weights filled in. Frozen. */
export interface ResolvedPreferenceLossConfig extends PreferenceLossOptions {
  /** The DPO temperature beta, >= 0 (> 0 with `ipo` or `sppo_hard`); TRL's `beta`. */
  readonly beta: number;
  /** The loss variants, at least one, no repeats; a single `lossType` becomes a one-entry list. */
  readonly lossType: readonly PreferenceLossType[];
  /** One finite weight >= 0 per `lossType` entry, same order; all 1 when none were given. */
  readonly lossWeights: readonly number[];
  /** Reference scores taken as 0 (TRL's `reference_free`). */
  readonly referenceFree: boolean;
}

/** The defaults: TRL's (`beta=0.1`, `loss_type="sigmoid"`, no smoothing, `discopop_tau=0.05`). */
export const DEFAULT_PREFERENCE_LOSS_CONFIG: Readonly<PreferenceLossConfig> = Object.freeze({
  beta: 0.1,
  lossType: 'sigmoid',
  referenceFree: false,
  labelSmoothing: 0,
  ipoNormalizeLength: true,
  discopopTau: 0.05,
  simpoGamma: 0,
});

/**
 * Every field name of {@link PreferenceLossConfig}, for configs that embed it and refuse unknown
 * fields (`requireKnownFields`).
 */
export const PREFERENCE_LOSS_CONFIG_FIELDS = Object.freeze([
  'beta',
  'lossType',
  'lossWeights',
  'referenceFree',
  'labelSmoothing',
  'ipoNormalizeLength',
  'discopopTau',
  'simpoGamma',
] as const satisfies readonly (keyof PreferenceLossConfig)[]);

/** Loss types whose targets are 1/(2 beta), so beta = 0 is meaningless. */
const NEEDS_POSITIVE_BETA: readonly PreferenceLossType[] = ['ipo', 'sppo_hard'];

/**
 * Merges `partial` over {@link DEFAULT_PREFERENCE_LOSS_CONFIG} and validates every field once.
 * Fields set to `undefined` count as absent. Idempotent: a resolved config resolves to an equal
 * one.
 *
 * @throws {@link InvalidArgumentError} naming the field, what it accepts and what it got, e.g.
 *   `lossWeights must have one entry per lossType: got 1 weight for 2 loss types`.
 * @example
 * const config = resolvePreferenceLossConfig({ beta: 0.5, lossType: ['sigmoid', 'sft'], lossWeights: [1, 0.2] });
 */
export function resolvePreferenceLossConfig(partial: Partial<PreferenceLossConfig> = {}): ResolvedPreferenceLossConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new InvalidArgumentError('config', 'an object', partial);
  }
  for (const key of Object.keys(partial)) {
    if (!(PREFERENCE_LOSS_CONFIG_FIELDS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(
        'config',
        `an object with only the fields ${PREFERENCE_LOSS_CONFIG_FIELDS.join(', ')}`,
        key,
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  const merged: Partial<PreferenceLossConfig> = { ...DEFAULT_PREFERENCE_LOSS_CONFIG, ...defined };

  const lossType = resolveLossTypes(merged.lossType);
  const lossWeights = resolveLossWeights(merged.lossWeights, lossType.length);
  const beta = requireNumber('beta', merged.beta, { min: 0 });
  const needsPositiveBeta = lossType.find((type) => NEEDS_POSITIVE_BETA.includes(type));
  if (needsPositiveBeta !== undefined && beta === 0) {
    throw new InvalidArgumentError('beta', `a finite number > 0 when lossType includes "${needsPositiveBeta}"`, beta);
  }
  return Object.freeze({
    beta,
    lossType,
    lossWeights,
    referenceFree: requireBoolean('referenceFree', merged.referenceFree),
    labelSmoothing: requireNumber('labelSmoothing', merged.labelSmoothing, { min: 0, max: 0.5, exclusiveMax: true }),
    ipoNormalizeLength: requireBoolean('ipoNormalizeLength', merged.ipoNormalizeLength),
    discopopTau: requireNumber('discopopTau', merged.discopopTau, { min: 0, exclusiveMin: true }),
    simpoGamma: requireNumber('simpoGamma', merged.simpoGamma),
  });
}

function resolveLossTypes(value: unknown): readonly PreferenceLossType[] {
  if (typeof value === 'string') return Object.freeze([getPreferenceLoss(value, 'lossType').type]);
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError('lossType', 'a loss type name or a non-empty array of them', value);
  }
  const types = value.map((name: unknown, i) => getPreferenceLoss(name as string, `lossType[${i}]`).type);
  const repeated = types.find((type, i) => types.indexOf(type) !== i);
  if (repeated !== undefined) {
    throw new InvalidArgumentError('lossType', 'an array without repeated loss types', value, `"${repeated}" repeats`);
  }
  return Object.freeze(types);
}

function resolveLossWeights(value: unknown, count: number): readonly number[] {
  if (value === undefined) return Object.freeze(Array.from({ length: count }, () => 1));
  if (!Array.isArray(value)) throw new InvalidArgumentError('lossWeights', 'an array of numbers', value);
  if (value.length !== count) {
    const error = new InvalidArgumentError('lossWeights', 'one entry per lossType', value);
    // The generic "must be ...: got [...]" hides the counts that explain the mismatch.
    error.message =
      `lossWeights must have one entry per lossType: got ${value.length} weight${value.length === 1 ? '' : 's'} ` +
      `for ${count} loss type${count === 1 ? '' : 's'}`;
    throw error;
  }
  return Object.freeze(value.map((weight: unknown, i) => requireNumber(`lossWeights[${i}]`, weight, { min: 0 })));
}
