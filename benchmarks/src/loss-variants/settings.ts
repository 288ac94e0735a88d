import { InvalidArgumentError } from '@dpo-ts/core';
import type { BenchmarkMode } from '../harness/benchmark.js';
import type { BenchmarkCell } from '../harness/cells.js';

/** The loss variants compared (TRL's `loss_type` names). */
export const LOSS_VARIANTS = ['sigmoid', 'ipo', 'hinge'] as const;
/** One of {@link LOSS_VARIANTS}. */
export type LossVariant = (typeof LOSS_VARIANTS)[number];

/** Sizes of the tabular task and its training, per mode. */
export interface LossVariantsSettings {
  /** Prompts (rows of the policy's table). */
  readonly conditions: number;
  /** Responses per prompt. */
  readonly responses: number;
  /** Preference pairs labelled by the Bradley-Terry model of the true reward. */
  readonly pairs: number;
  /** Full-batch Adam steps. */
  readonly steps: number;
  readonly learningRate: number;
  readonly variants: readonly LossVariant[];
  readonly betas: readonly number[];
}

/** Settings per mode: smoke is two cells, quick twelve, full thirty (five seeds). */
export const LOSS_VARIANTS_SETTINGS: Readonly<Record<BenchmarkMode, LossVariantsSettings>> = Object.freeze({
  smoke: {
    conditions: 4,
    responses: 5,
    pairs: 64,
    steps: 30,
    learningRate: 0.05,
    variants: ['sigmoid', 'ipo'],
    betas: [0.5],
  },
  quick: {
    conditions: 8,
    responses: 6,
    pairs: 256,
    steps: 150,
    learningRate: 0.05,
    variants: LOSS_VARIANTS,
    betas: [0.1, 0.5],
  },
  full: {
    conditions: 16,
    responses: 8,
    pairs: 1024,
    steps: 300,
    learningRate: 0.05,
    variants: LOSS_VARIANTS,
    betas: [0.1, 0.5],
  },
});

/** What one cell trains: a loss variant at one beta from one seed, at the mode's sizes. */
export interface LossVariantCell {
  readonly variant: LossVariant;
  readonly beta: number;
  readonly seed: number;
  readonly settings: LossVariantsSettings;
}

/** Seconds per Adam step on the tabular task (cpu/wasm, 2 cores), for the ETA only. */
const SECONDS_PER_STEP = 0.004;

/** Every (variant, beta, seed) cell of a mode, variants outermost. */
export function planLossVariantCells(mode: BenchmarkMode, seeds: readonly number[]): BenchmarkCell[] {
  const settings = LOSS_VARIANTS_SETTINGS[mode];
  return settings.variants.flatMap((variant) =>
    settings.betas.flatMap((beta) =>
      seeds.map((seed) => ({
        id: `${variant}/beta=${beta}/seed=${seed}`,
        payload: { variant, beta, seed, settings } satisfies LossVariantCell,
        estimateSeconds: settings.steps * SECONDS_PER_STEP,
      })),
    ),
  );
}

const positiveInteger = (value: unknown) => Number.isInteger(value) && (value as number) > 0;

/**
 * Checks a cell payload from the queue.
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateLossVariantCell(payload: unknown): LossVariantCell {
  const cell = payload as Partial<LossVariantCell> | null;
  if (cell === null || typeof cell !== 'object') throw new InvalidArgumentError('cell', 'an object', payload);
  if (!LOSS_VARIANTS.includes(cell.variant as LossVariant))
    throw new InvalidArgumentError('cell.variant', `one of ${LOSS_VARIANTS.join(', ')}`, cell.variant);
  if (typeof cell.beta !== 'number' || !(cell.beta > 0))
    throw new InvalidArgumentError('cell.beta', 'a number > 0', cell.beta);
  if (!Number.isInteger(cell.seed) || (cell.seed as number) < 0)
    throw new InvalidArgumentError('cell.seed', 'an integer >= 0', cell.seed);
  const settings = cell.settings as Partial<LossVariantsSettings> | undefined;
  for (const field of ['conditions', 'responses', 'pairs', 'steps'] as const)
    if (!positiveInteger(settings?.[field]))
      throw new InvalidArgumentError(`cell.settings.${field}`, 'an integer > 0', settings?.[field]);
  if (!((settings?.responses as number) >= 2))
    throw new InvalidArgumentError('cell.settings.responses', 'at least 2', settings?.responses);
  if (typeof settings?.learningRate !== 'number' || !(settings.learningRate > 0))
    throw new InvalidArgumentError('cell.settings.learningRate', 'a number > 0', settings?.learningRate);
  return cell as LossVariantCell;
}
