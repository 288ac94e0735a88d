import { InvalidArgumentError } from '@dpo-ts/core';
import type { BenchmarkMode } from '../harness/benchmark.js';
import type { BenchmarkCell } from '../harness/cells.js';
import { methodSpecs, type MethodKind, type MethodSpec } from './methods.js';
import {
  DIFFUSION_COMPARISON_SETTINGS,
  comparisonSeeds,
  type ComparisonRewardId,
  type DiffusionComparisonSettings,
} from './settings.js';
import { WORK_RATES, trainingEstimate } from './work-plan.js';

/**
 * One cell of the diffusion comparison: the pairs of a (reward, seed) (`method` null: samples
 * and reports them), or one method trained on them and evaluated against the base. Everything
 * that changes its result is in it, so its hash keys the result.
 */
export interface DiffusionCell {
  readonly reward: ComparisonRewardId;
  /** Position of `reward` in `settings.rewards` (part of the pair-sampling seed). */
  readonly rewardIndex: number;
  /** The training seed. */
  readonly seed: number;
  /** Position of `seed` among the run's seeds (log lines; the first seed writes sample grids). */
  readonly seedIndex: number;
  readonly seedCount: number;
  /** The method trained, or null for the (reward, seed)'s pairs cell. */
  readonly method: MethodSpec | null;
  /** The run's seed: the digit classifier's seed and the source of the evaluation noise seed. */
  readonly runSeed: number;
  readonly settings: DiffusionComparisonSettings;
}

const REWARDS: readonly ComparisonRewardId[] = ['jpeg-compressibility', 'jpeg-incompressibility'];
const KINDS: readonly MethodKind[] = ['dpo', 'ddpo', 'sft-winners', 'sft-losers'];

/** The cell's readable id: `jpeg-compressibility/dpo-b5000/seed=0`, `jpeg-compressibility/pairs/seed=0`. */
export function diffusionCellId(cell: Pick<DiffusionCell, 'reward' | 'method' | 'seed'>): string {
  return `${cell.reward}/${cell.method?.id ?? 'pairs'}/seed=${cell.seed}`;
}

/** Estimated seconds of a cell on 2 cores (wasm), from {@link WORK_RATES}; every cell loads the classifier once per process. */
export function diffusionCellEstimate(cell: DiffusionCell): number {
  const { settings } = cell;
  if (cell.method === null) return 2 * settings.pairs * WORK_RATES.pairImage;
  return trainingEstimate(cell.method.kind, settings) + settings.evalSamples * WORK_RATES.evalSample;
}

/**
 * Every cell of a run, in report order: per reward and training seed (the mode's count of
 * {@link comparisonSeeds} from the run's `seeds` and `runSeed`), the pairs cell, then each method
 * (Diffusion-DPO at each beta, DDPO, SFT on winners, SFT on losers).
 */
export function planDiffusionCells(mode: BenchmarkMode, runSeed: number, runSeeds: readonly number[]): BenchmarkCell[] {
  const settings = DIFFUSION_COMPARISON_SETTINGS[mode];
  const seeds = comparisonSeeds({ seed: runSeed, seeds: runSeeds }, settings.seeds);
  const methods = methodSpecs(settings);
  const cells: DiffusionCell[] = [];
  for (const [rewardIndex, reward] of settings.rewards.entries())
    for (const [seedIndex, seed] of seeds.entries())
      for (const method of [null, ...methods])
        cells.push({ reward, rewardIndex, seed, seedIndex, seedCount: seeds.length, method, runSeed, settings });
  return cells.map((cell) => ({
    id: diffusionCellId(cell),
    payload: cell,
    estimateSeconds: diffusionCellEstimate(cell),
  }));
}

const nonNegativeInteger = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

/**
 * Checks a cell payload (from the queue).
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateDiffusionCell(payload: unknown): DiffusionCell {
  const cell = payload as Partial<DiffusionCell> | null;
  if (cell === null || typeof cell !== 'object') throw new InvalidArgumentError('cell', 'an object', payload);
  if (!REWARDS.includes(cell.reward as ComparisonRewardId))
    throw new InvalidArgumentError('cell.reward', `one of ${REWARDS.join(', ')}`, cell.reward);
  for (const field of ['rewardIndex', 'seed', 'seedIndex', 'runSeed'] as const)
    if (!nonNegativeInteger(cell[field]))
      throw new InvalidArgumentError(`cell.${field}`, 'an integer >= 0', cell[field]);
  if (!(Number.isInteger(cell.seedCount) && (cell.seedCount as number) > (cell.seedIndex as number)))
    throw new InvalidArgumentError('cell.seedCount', `an integer > seedIndex (${cell.seedIndex})`, cell.seedCount);
  const method = cell.method as Partial<MethodSpec> | null | undefined;
  if (method !== null) {
    if (method === undefined || typeof method !== 'object' || typeof method.id !== 'string')
      throw new InvalidArgumentError('cell.method', 'null (pairs) or a method spec with an id', method);
    if (!KINDS.includes(method.kind as MethodKind))
      throw new InvalidArgumentError('cell.method.kind', `one of ${KINDS.join(', ')}`, method.kind);
    if (method.kind === 'dpo' && !(typeof method.beta === 'number' && method.beta > 0))
      throw new InvalidArgumentError('cell.method.beta', 'a number > 0 for dpo', method.beta);
  }
  const settings = cell.settings as Partial<DiffusionComparisonSettings> | undefined;
  for (const field of [
    'seeds',
    'pairs',
    'samplingSteps',
    'trainSteps',
    'batchSize',
    'ddpoSteps',
    'ddpoSamplesPerStep',
    'ddpoTrainBatchSize',
    'evalSamples',
    'classifierEpochs',
  ] as const)
    if (!(Number.isInteger(settings?.[field]) && (settings?.[field] as number) > 0))
      throw new InvalidArgumentError(`cell.settings.${field}`, 'an integer > 0', settings?.[field]);
  for (const field of ['learningRate', 'ddpoLearningRate'] as const)
    if (!(typeof settings?.[field] === 'number' && (settings[field] as number) > 0))
      throw new InvalidArgumentError(`cell.settings.${field}`, 'a number > 0', settings?.[field]);
  if (!(Array.isArray(settings?.rewards) && settings.rewards[cell.rewardIndex as number] === cell.reward))
    throw new InvalidArgumentError(
      'cell.settings.rewards',
      `a list with ${cell.reward} at rewardIndex ${cell.rewardIndex}`,
      settings?.rewards,
    );
  if (!(Array.isArray(settings?.betas) && settings.betas.every((beta) => typeof beta === 'number' && beta > 0)))
    throw new InvalidArgumentError('cell.settings.betas', 'a list of numbers > 0', settings?.betas);
  return cell as DiffusionCell;
}
