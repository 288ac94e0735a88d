import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';

/** A point estimate with its percentile-bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** The statistic on the original sample. */
  readonly estimate: number;
  /** Lower and upper percentile of the bootstrap distribution (e.g. 2.5% and 97.5%). */
  readonly low: number;
  readonly high: number;
  /** Units resampled (prompts). */
  readonly units: number;
}

/** Options of {@link bootstrapCI}. */
export interface BootstrapOptions {
  /** Bootstrap resamples. @defaultValue 2000 */
  readonly resamples?: number;
  /** Confidence level in (0, 1). @defaultValue 0.95 */
  readonly level?: number;
  /** Seed of the resampling stream (core's `Rng`): the same seed gives the same interval. */
  readonly seed: number;
}

/**
 * Percentile bootstrap (Efron 1979; Efron & Tibshirani 1993, Ch. 13) of a statistic of
 * independent units: draws `resamples` samples of the units with replacement, evaluates the
 * statistic on each, and returns its (1 - level)/2 and (1 + level)/2 quantiles (linear
 * interpolation between order statistics).
 *
 * The units are prompts: each carries everything measured on it (the mean over its evaluation
 * samples, or a method's and SFT's values for a paired difference), so resampling prompts keeps
 * the within-prompt correlation that resampling samples would ignore.
 *
 * @param units - one entry per prompt; at least one.
 * @param statistic - a function of a resample (receives the units, repeated as drawn).
 */
export function bootstrapCI<T>(
  units: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: BootstrapOptions,
): ConfidenceInterval {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  requireInteger('resamples', resamples, { min: 1 });
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError('level', 'a number in (0, 1)', level);
  if (units.length === 0) throw new InvalidArgumentError('units', 'a non-empty array', units);
  const rng = new Rng(options.seed);
  const draws = new Float64Array(resamples);
  const sample: T[] = new Array(units.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < units.length; i++) sample[i] = units[rng.int(units.length)]!;
    draws[r] = statistic(sample);
  }
  draws.sort();
  return {
    estimate: statistic(units),
    low: quantile(draws, (1 - level) / 2),
    high: quantile(draws, (1 + level) / 2),
    units: units.length,
  };
}

/** Percentile bootstrap CI of the mean of `values` (one value per prompt). */
export function bootstrapMeanCI(values: readonly number[], options: BootstrapOptions): ConfidenceInterval {
  return bootstrapCI(values, meanOf, options);
}

/**
 * Percentile bootstrap CI of the mean paired difference `treated[i] - control[i]` (a method's
 * per-prompt value minus SFT's on the same prompt), resampling prompts.
 */
export function bootstrapPairedDifferenceCI(
  treated: readonly number[],
  control: readonly number[],
  options: BootstrapOptions,
): ConfidenceInterval {
  if (treated.length !== control.length)
    throw new InvalidArgumentError('control', `an array as long as treated (${treated.length})`, control.length);
  return bootstrapMeanCI(
    treated.map((value, i) => value - control[i]!),
    options,
  );
}

/**
 * Win rate of a method against a baseline judged per prompt: 1 when the method's per-prompt
 * mean beats the baseline's, 0.5 on a tie, 0 otherwise; averaged over prompts.
 */
export function perPromptWins(treated: readonly number[], control: readonly number[]): number[] {
  if (treated.length !== control.length)
    throw new InvalidArgumentError('control', `an array as long as treated (${treated.length})`, control.length);
  return treated.map((value, i) => (value > control[i]! ? 1 : value === control[i]! ? 0.5 : 0));
}

/**
 * Two-level percentile bootstrap of the mean of grouped values (Davison & Hinkley 1997, Sec.
 * 3.8): each resample draws the groups (seeds) with replacement, then within each drawn group
 * its values (prompts) with replacement, and takes the mean of everything drawn. The interval
 * so includes the spread between seeds (training, pairs, split), which resampling prompts alone
 * would ignore. With one group it is the plain bootstrap over that group's values.
 *
 * @param groups - one array of values per group; every group non-empty.
 */
export function bootstrapGroupedMeanCI(
  groups: readonly (readonly number[])[],
  options: BootstrapOptions,
): ConfidenceInterval {
  if (groups.length === 0 || groups.some((group) => group.length === 0))
    throw new InvalidArgumentError(
      'groups',
      'a non-empty array of non-empty arrays',
      groups.map((g) => g.length),
    );
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  requireInteger('resamples', resamples, { min: 1 });
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError('level', 'a number in (0, 1)', level);
  const rng = new Rng(options.seed);
  const draws = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    let count = 0;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[rng.int(groups.length)]!;
      for (let i = 0; i < group.length; i++) sum += group[rng.int(group.length)]!;
      count += group.length;
    }
    draws[r] = sum / count;
  }
  draws.sort();
  const all = groups.flat();
  return {
    estimate: meanOf(all),
    low: quantile(draws, (1 - level) / 2),
    high: quantile(draws, (1 + level) / 2),
    units: all.length,
  };
}

/** The q-quantile of sorted values, interpolating linearly between order statistics (type 7). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
