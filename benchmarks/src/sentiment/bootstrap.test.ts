import { Rng } from '@dpo-ts/core/training';
import { describe, expect, it } from 'vitest';
import {
  bootstrapCI,
  bootstrapGroupedMeanCI,
  bootstrapMeanCI,
  bootstrapPairedDifferenceCI,
  perPromptWins,
  quantile,
} from './bootstrap.js';

describe('quantile', () => {
  it('interpolates between order statistics (type 7)', () => {
    // positions: q * (n - 1) = 0.25 * 4 = 1 -> 2; 0.1 * 4 = 0.4 -> 1 + 0.4 * (2 - 1)
    expect(quantile([1, 2, 3, 4, 10], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4, 10], 0.1)).toBeCloseTo(1.4, 12);
    expect(quantile([1, 2, 3, 4, 10], 1)).toBe(10);
  });
});

describe('bootstrapMeanCI', () => {
  it('converges to the normal interval mean +- 1.96 sd/sqrt(n) for a large sample', () => {
    // A known sample: 400 draws of N(0, 1); the bootstrap distribution of the mean is close to
    // N(mean, s^2 / n) (s with divisor n, the plug-in sd the bootstrap uses).
    const rng = new Rng(3);
    const values = Array.from({ length: 400 }, () => rng.normal());
    const n = values.length;
    const m = values.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / n);
    const halfWidth = (1.959964 * s) / Math.sqrt(n);
    const ci = bootstrapMeanCI(values, { seed: 7, resamples: 20000 });
    expect(ci.estimate).toBeCloseTo(m, 12);
    expect(ci.units).toBe(400);
    // Monte-Carlo error of a 2.5% quantile over 20k resamples is ~2% of the half-width.
    expect(Math.abs(ci.low - (m - halfWidth))).toBeLessThan(0.06 * halfWidth);
    expect(Math.abs(ci.high - (m + halfWidth))).toBeLessThan(0.06 * halfWidth);
  });

  it('is reproducible by seed and collapses on a constant sample', () => {
    const values = [0.2, -0.1, 0.5, 0.3, 0.0, 0.9];
    expect(bootstrapMeanCI(values, { seed: 1 })).toEqual(bootstrapMeanCI(values, { seed: 1 }));
    expect(bootstrapMeanCI(values, { seed: 1 })).not.toEqual(bootstrapMeanCI(values, { seed: 2 }));
    const flat = bootstrapMeanCI([2, 2, 2], { seed: 0, resamples: 50 });
    expect([flat.estimate, flat.low, flat.high]).toEqual([2, 2, 2]);
  });

  it('keeps one unit within the range of its resamples: two values 0 and 1', () => {
    // Resampling {0, 1} twice gives means 0, 0.5, 0.5, 1 with probabilities 1/4, 1/2, 1/4:
    // the 95% interval is [0, 1] and the median 0.5.
    const ci = bootstrapMeanCI([0, 1], { seed: 4, resamples: 4000 });
    expect([ci.low, ci.high]).toEqual([0, 1]);
    const median = bootstrapMeanCI([0, 1], { seed: 4, resamples: 4000, level: 0.02 });
    expect([median.low, median.high]).toEqual([0.5, 0.5]);
  });

  it('names bad arguments', () => {
    expect(() => bootstrapMeanCI([], { seed: 0 })).toThrow(/units must be a non-empty array/);
    expect(() => bootstrapMeanCI([1], { seed: 0, level: 1.5 })).toThrow(/level must be a number in \(0, 1\): got 1.5/);
    expect(() => bootstrapMeanCI([1], { seed: 0, resamples: 0 })).toThrow(/resamples/);
  });
});

describe('bootstrapPairedDifferenceCI and perPromptWins', () => {
  it('bootstraps the per-prompt differences', () => {
    const treated = [1, 2, 3, 4];
    const control = [0, 2, 1, 5];
    // differences 1, 0, 2, -1: mean 0.5
    const paired = bootstrapPairedDifferenceCI(treated, control, { seed: 5, resamples: 500 });
    expect(paired.estimate).toBe(0.5);
    expect(paired).toEqual(bootstrapMeanCI([1, 0, 2, -1], { seed: 5, resamples: 500 }));
    expect(paired.low).toBeGreaterThanOrEqual(-1);
    expect(paired.high).toBeLessThanOrEqual(2);
    expect(() => bootstrapPairedDifferenceCI([1], [1, 2], { seed: 0 })).toThrow(/control must be an array as long/);
  });

  it('scores wins 1, ties 0.5 and losses 0 per prompt', () => {
    expect(perPromptWins([1, 2, 3], [0, 2, 4])).toEqual([1, 0.5, 0]);
    const ci = bootstrapCI(perPromptWins([1, 2, 3], [0, 2, 4]), (s) => s.reduce((a, b) => a + b, 0) / s.length, {
      seed: 0,
      resamples: 100,
    });
    expect(ci.estimate).toBe(0.5);
  });
});

describe('bootstrapGroupedMeanCI', () => {
  it('spans the spread between groups: two constant groups 0 and 1', () => {
    // Groups drawn with replacement: (0,0) 1/4, mixed 1/2, (1,1) 1/4 -> means 0, 0.5, 1.
    const ci = bootstrapGroupedMeanCI(
      [
        [0, 0, 0],
        [1, 1, 1],
      ],
      { seed: 2, resamples: 4000 },
    );
    expect([ci.estimate, ci.low, ci.high, ci.units]).toEqual([0.5, 0, 1, 6]);
    // Resampling the six values alone would give a much narrower interval.
    const flat = bootstrapMeanCI([0, 0, 0, 1, 1, 1], { seed: 2, resamples: 4000 });
    expect(flat.high - flat.low).toBeLessThan(1);
  });

  it('with one group converges to the normal interval like the plain bootstrap', () => {
    const rng = new Rng(9);
    const values = Array.from({ length: 400 }, () => rng.normal());
    const n = values.length;
    const m = values.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / n);
    const halfWidth = (1.959964 * s) / Math.sqrt(n);
    const ci = bootstrapGroupedMeanCI([values], { seed: 1, resamples: 10000 });
    expect(Math.abs(ci.low - (m - halfWidth))).toBeLessThan(0.08 * halfWidth);
    expect(Math.abs(ci.high - (m + halfWidth))).toBeLessThan(0.08 * halfWidth);
    expect(() => bootstrapGroupedMeanCI([[1], []], { seed: 0 })).toThrow(/groups must be/);
  });
});
