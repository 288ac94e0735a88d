import type { ComputeRecord } from './methods.js';
import type { ComparisonRewardId } from './settings.js';

/** One method's evaluation for one (reward, seed): its samples against the base's, same noise. */
export interface MethodMeasurement {
  readonly reward: ComparisonRewardId;
  readonly seed: number;
  /** {@link MethodSpec.id}. */
  readonly method: string;
  readonly meanReward: number;
  /** The base model's mean reward on the same noise. */
  readonly baseMeanReward: number;
  /** Fraction of noise seeds where the method's sample has the higher reward; ties 1/2. */
  readonly winRate: number;
  /** Standard error of the win rate over the evaluation samples. */
  readonly winRateStandardError: number;
  /** Fraction of the method's samples the digit classifier reads as the digit asked for. */
  readonly digitAccuracy: number;
  readonly baseDigitAccuracy: number;
  readonly compute: ComputeRecord;
  /** Method-specific numbers (DPO's held-out implicit accuracy, DDPO's last reward_mean, ...). */
  readonly details: Readonly<Record<string, number>>;
}

/** Mean, sample standard deviation (0 for one value), range and count. */
export interface Spread {
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** The {@link Spread} of `values` (sd with n - 1; NaN everywhere when empty). */
export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values), n };
}

/**
 * Paired win rate of `candidate` over `baseline` (same index = same initial noise): a win
 * counts 1, a tie 1/2, and its standard error sd(indicator) / sqrt(n) (population sd of the
 * per-sample scores, as for a proportion).
 */
export function pairedWinRate(
  candidate: ArrayLike<number>,
  baseline: ArrayLike<number>,
): { winRate: number; standardError: number } {
  if (candidate.length !== baseline.length || candidate.length === 0) {
    throw new Error(
      `pairedWinRate needs two non-empty arrays of one length: got ${candidate.length} and ${baseline.length}`,
    );
  }
  const n = candidate.length;
  const scores = Array.from({ length: n }, (_, i) =>
    candidate[i]! > baseline[i]! ? 1 : candidate[i] === baseline[i] ? 0.5 : 0,
  );
  const winRate = scores.reduce<number>((a, b) => a + b, 0) / n;
  const variance = scores.reduce<number>((a, s) => a + (s - winRate) ** 2, 0) / n;
  return { winRate, standardError: Math.sqrt(variance / n) };
}

/** Fraction of `predicted` equal to `labels` (same length, non-empty). */
export function labelAccuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length || predicted.length === 0) {
    throw new Error(
      `labelAccuracy needs two non-empty arrays of one length: got ${predicted.length} and ${labels.length}`,
    );
  }
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** A method's measurements over seeds, for one reward. */
export interface MethodSummary {
  readonly reward: ComparisonRewardId;
  readonly method: string;
  readonly meanReward: Spread;
  /** Mean reward minus the base's on the same noise. */
  readonly rewardGain: Spread;
  readonly winRate: Spread;
  /** The within-seed standard errors of the win rate (evaluation-sample noise only). */
  readonly winRateStandardError: Spread;
  readonly digitAccuracy: Spread;
  /** Digit accuracy minus the base's. */
  readonly accuracyChange: Spread;
  readonly trainSeconds: Spread;
  /** The base's mean reward and digit accuracy on the evaluation noise (mean over seeds; equal when the noise is fixed). */
  readonly baseMeanReward: number;
  readonly baseDigitAccuracy: number;
  /** The first seed's compute counts (the same for every seed). */
  readonly compute: ComputeRecord;
  readonly seeds: readonly number[];
}

/**
 * Uncertainty of a mean win rate: the standard error over seeds (sd / sqrt(n)) when there are
 * several, else the evaluation-sample standard error of the one seed (which leaves training
 * noise out).
 */
export function winRateUncertainty(summary: Pick<MethodSummary, 'winRate' | 'winRateStandardError'>): number {
  const { winRate, winRateStandardError } = summary;
  return winRate.n > 1
    ? Math.max(winRate.sd / Math.sqrt(winRate.n), winRateStandardError.mean / Math.sqrt(winRate.n))
    : winRateStandardError.mean;
}

/**
 * Groups `measurements` by (reward, method), keeping the order of first appearance, and
 * summarises each over its seeds.
 */
export function summarizeMethods(measurements: readonly MethodMeasurement[]): MethodSummary[] {
  const groups = new Map<string, MethodMeasurement[]>();
  for (const m of measurements) {
    const key = `${m.reward}\u0000${m.method}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const over = (f: (m: MethodMeasurement) => number): Spread => spread(group.map(f));
    return {
      reward: first.reward,
      method: first.method,
      meanReward: over((m) => m.meanReward),
      rewardGain: over((m) => m.meanReward - m.baseMeanReward),
      winRate: over((m) => m.winRate),
      winRateStandardError: over((m) => m.winRateStandardError),
      digitAccuracy: over((m) => m.digitAccuracy),
      accuracyChange: over((m) => m.digitAccuracy - m.baseDigitAccuracy),
      trainSeconds: over((m) => m.compute.trainSeconds),
      baseMeanReward: spread(group.map((m) => m.baseMeanReward)).mean,
      baseDigitAccuracy: spread(group.map((m) => m.baseDigitAccuracy)).mean,
      compute: first.compute,
      seeds: group.map((m) => m.seed),
    };
  });
}
