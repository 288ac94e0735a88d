import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { bradleyTerryFit } from './bradley-terry-fit.js';
import { predictOutcomeProbabilities, predictWinProbability } from './bradley-terry-predict.js';

describe('predictWinProbability', () => {
  const fit = bradleyTerryFit([{ home: 'A', away: 'B', homeWins: 7, awayWins: 3 }]);

  it('recovers the observed proportion in the two-item model, from either side', () => {
    expect(predictWinProbability(fit, 'A', 'B')).toBeCloseTo(0.7, 12);
    expect(predictWinProbability(fit, 'B', 'A')).toBeCloseTo(0.3, 12);
    expect(predictWinProbability(fit, 'A', 'A')).toBe(0.5);
  });

  it('adds the home advantage only when asked: P = 1 / (1 + exp(-(lambda_i - lambda_j + delta)))', () => {
    const homeFit = bradleyTerryFit(
      [
        { home: 'A', away: 'B', homeWins: 3, awayWins: 1 },
        { home: 'B', away: 'C', homeWins: 3, awayWins: 1 },
        { home: 'C', away: 'A', homeWins: 3, awayWins: 1 },
      ],
      { homeAdvantage: true },
    );
    // Equal strengths, delta = log 3.
    expect(predictWinProbability(homeFit, 'A', 'B', { home: true })).toBeCloseTo(0.75, 10);
    expect(predictWinProbability(homeFit, 'A', 'B')).toBeCloseTo(0.5, 10);
  });

  it('with Davidson ties returns the outright win probability, the three outcomes summing to 1', () => {
    const tieFit = bradleyTerryFit([{ home: 'A', away: 'B', homeWins: 6, awayWins: 3, ties: 2 }], {
      tieModel: 'davidson',
    });
    const p = predictOutcomeProbabilities(tieFit, 'A', 'B');
    expect(p.win).toBeCloseTo(6 / 11, 10);
    expect(p.loss).toBeCloseTo(3 / 11, 10);
    expect(p.tie).toBeCloseTo(2 / 11, 10);
    expect(predictWinProbability(tieFit, 'A', 'B')).toBe(p.win);
  });

  it('rejects unknown items and a home prediction from a fit without home advantage', () => {
    expect(() => predictWinProbability(fit, 'A', 'Z')).toThrow(
      'second must be an item of the fitted model ("A", "B"): got "Z"',
    );
    expect(() => predictWinProbability(fit, 'toString', 'A')).toThrow(InvalidArgumentError);
    expect(() => predictWinProbability(fit, 'A', 'B', { home: true })).toThrow(
      'options.home must be false for a fit without a home-advantage term: got true (fit with homeAdvantage: true)',
    );
  });
});
