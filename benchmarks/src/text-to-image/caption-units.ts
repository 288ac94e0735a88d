import { InvalidArgumentError } from '@dpo-ts/core';
import { bootstrapGroupedMeanCI, type ConfidenceInterval } from '../sentiment/bootstrap.js';
import type { ModelEvaluation } from './evaluate-model.js';

/** The measures reported per test caption, each against the base on the same noise. */
export const T2I_MEASURES = [
  'clipWinRate',
  'styleWinRate',
  'styleShare',
  'retrieval',
  'clipScore',
  'styleLogit',
] as const;
/** One of {@link T2I_MEASURES}. */
export type T2IMeasure = (typeof T2I_MEASURES)[number];

/** Readable names of the measures for tables and findings. */
export const MEASURE_LABELS: Readonly<Record<T2IMeasure, string>> = {
  clipWinRate: 'win rate (clip oracle)',
  styleWinRate: 'win rate (style oracle)',
  styleShare: 'Δ style share',
  retrieval: 'Δ retrieval',
  clipScore: 'Δ clip-oracle score',
  styleLogit: 'Δ style-oracle logit',
};

/** A model's test images against the base's: what it scored, what the base scored. */
type TestScores = Pick<ModelEvaluation, 'test'>;

/** 1 when a > b, 1/2 on a tie, 0 otherwise. */
const win = (a: number, b: number): number => (a > b ? 1 : a === b ? 0.5 : 0);

/**
 * Per test caption (the unit: its images averaged), a model's value of `measure` against the
 * base, from images paired by noise (image k of both): the win rates are the share of the
 * caption's images the oracle scores above the base's (ties 1/2); the others are the model's
 * mean minus the base's (style share: oracle logit > 0; retrieval: hit; scores: raw).
 * @param captionCount - T; image k shows caption k % T.
 */
export function captionUnits(model: TestScores, base: TestScores, measure: T2IMeasure, captionCount: number): number[] {
  const n = model.test.clipOracle.length;
  if (base.test.clipOracle.length !== n)
    throw new InvalidArgumentError(
      'base.test.clipOracle.length',
      `${n} (the model's images, paired)`,
      base.test.clipOracle.length,
    );
  if (n % captionCount !== 0)
    throw new InvalidArgumentError('captionCount', `a divisor of the ${n} images`, captionCount);
  const value = (k: number): number => {
    const m = model.test;
    const b = base.test;
    switch (measure) {
      case 'clipWinRate':
        return win(m.clipOracle[k]!, b.clipOracle[k]!);
      case 'styleWinRate':
        return win(m.styleOracle[k]!, b.styleOracle[k]!);
      case 'styleShare':
        return (m.styleOracle[k]! > 0 ? 1 : 0) - (b.styleOracle[k]! > 0 ? 1 : 0);
      case 'retrieval':
        return m.retrievalHit[k]! - b.retrievalHit[k]!;
      case 'clipScore':
        return m.clipOracle[k]! - b.clipOracle[k]!;
      case 'styleLogit':
        return m.styleOracle[k]! - b.styleOracle[k]!;
    }
  };
  const repeats = n / captionCount;
  return Array.from({ length: captionCount }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < repeats; j++) sum += value(j * captionCount + i);
    return sum / repeats;
  });
}

/**
 * A method's value net of a control, per unit: method_i - control_i (same seed, same caption,
 * same noise). Both are measured against the same base, so the base cancels: for the Δ measures
 * net = (m - b) - (c - b) = m - c; for win rates it is the difference of the two win rates. With
 * a flipped-label control, if training moves a measure by drift + p with the labels and by
 * drift - p with them reversed, net = 2p: the label-specific part, with the drift removed.
 * @param method - per seed, the method's units; `control` the same shape.
 */
export function netOfControl(
  method: readonly (readonly number[])[],
  control: readonly (readonly number[])[],
): number[][] {
  if (method.length !== control.length)
    throw new InvalidArgumentError('control', `${method.length} seeds (the method's)`, control.length);
  return method.map((units, s) => {
    const other = control[s]!;
    if (other.length !== units.length)
      throw new InvalidArgumentError(`control[${s}].length`, `${units.length} captions (the method's)`, other.length);
    return units.map((value, i) => value - other[i]!);
  });
}

/**
 * The mean over seeds and captions with its 95% two-level percentile bootstrap CI (seeds, then
 * captions within each drawn seed: sentiment's `bootstrapGroupedMeanCI`).
 */
export function unitsCI(groups: readonly (readonly number[])[], resamples: number, seed: number): ConfidenceInterval {
  return bootstrapGroupedMeanCI(groups, { resamples, seed });
}

/** Whether an interval excludes `value` (0 for differences, 1/2 for win rates). */
export function excludes(interval: ConfidenceInterval, value: number): boolean {
  return interval.low > value || interval.high < value;
}
