import { describe, expect, it } from 'vitest';
import { bradleyTerryFit } from './bradley-terry-fit.js';
import { BradleyTerryFitError } from './bradley-terry-fit-error.js';
import type { PairwiseComparison } from './pairwise-comparisons.js';

function fitError(data: readonly PairwiseComparison[], options = {}): BradleyTerryFitError {
  try {
    bradleyTerryFit(data, options);
  } catch (error) {
    if (error instanceof BradleyTerryFitError) return error;
    throw error;
  }
  throw new Error('expected bradleyTerryFit to throw');
}

const game = (home: string, away: string, homeWins: number, awayWins: number, ties = 0): PairwiseComparison => ({
  home,
  away,
  homeWins,
  awayWins,
  ties,
});

describe('separation and identifiability', () => {
  it('names an item that won all its games', () => {
    const error = fitError([game('A', 'B', 3, 0), game('B', 'C', 2, 2), game('A', 'C', 4, 0), game('C', 'A', 0, 1)]);
    expect(error.failure).toBe('separation');
    expect(error.items).toEqual(['A']);
    expect(error.message).toMatch(
      /^item "A" won all 8 of its games: its strength has an infinite maximum-likelihood estimate/,
    );
  });

  it('names an item that lost all its games', () => {
    const error = fitError([game('A', 'B', 3, 1), game('B', 'A', 2, 2), game('C', 'A', 0, 5), game('B', 'C', 2, 0)]);
    expect(error.failure).toBe('separation');
    expect(error.items).toEqual(['C']);
    expect(error.message).toContain('item "C" lost all 7 of its games');
  });

  it('names a group that never lost to the others', () => {
    // A and B beat each other, and both beat C and D, which beat each other.
    const error = fitError([game('A', 'B', 2, 1), game('A', 'C', 3, 0), game('B', 'D', 2, 0), game('C', 'D', 1, 1)]);
    expect(error.failure).toBe('separation');
    expect(error.items).toEqual(['A', 'B']);
    expect(error.message).toMatch(
      /^items "A", "B" never lost to an item outside that group: their strengths have an infinite/,
    );
  });

  it('with more than two groups, names the top and the bottom of the win order', () => {
    // {A, B} beat {C, D} beat {E, F}; within each group both won.
    const error = fitError([
      game('A', 'B', 1, 1),
      game('C', 'D', 1, 1),
      game('E', 'F', 1, 1),
      game('A', 'C', 2, 0),
      game('D', 'F', 2, 0),
    ]);
    expect(error.items).toEqual(['A', 'B', 'E', 'F']);
    expect(error.message).toContain(
      'items "A", "B" never lost to an item outside that group; items "E", "F" never beat',
    );
  });

  it('a tie is not a loss: the Davidson fit exists when the only non-win is a tie', () => {
    const data = [game('A', 'B', 3, 0, 1), game('B', 'C', 2, 1), game('C', 'A', 1, 2)];
    const fit = bradleyTerryFit(data, { tieModel: 'davidson' });
    expect(Number.isFinite(fit.coefficients.B)).toBe(true);
  });

  it('reports groups never compared with the reference item', () => {
    const error = fitError([game('A', 'B', 2, 1), game('C', 'D', 1, 2)], { referenceItem: 'B' });
    expect(error.failure).toBe('disconnected');
    expect(error.items).toEqual(['C', 'D']);
    expect(error.message).toContain(
      'items "C", "D" were never compared, directly or through other items, with the reference item "B"',
    );
  });

  it('an item that appears only in rows without games is disconnected', () => {
    const error = fitError([game('A', 'B', 2, 1), game('A', 'Z', 0, 0)]);
    expect(error.failure).toBe('disconnected');
    expect(error.items).toEqual(['Z']);
  });

  it('detects separation in the home advantage while iterating: every game won by the home side', () => {
    const data = [
      game('A', 'B', 2, 0),
      game('B', 'A', 2, 0),
      game('B', 'C', 1, 0),
      game('C', 'B', 3, 0),
      game('C', 'A', 1, 0),
      game('A', 'C', 2, 0),
    ];
    const error = fitError(data, { homeAdvantage: true });
    expect(error.failure).toBe('separation');
    expect(error.items).toContain('homeAdvantage');
    expect(error.message).toContain('homeAdvantage');
    // Without the home term the same data have a finite MLE.
    expect(() => bradleyTerryFit(data)).not.toThrow();
  });

  it('reports a home advantage confounded with the strengths as not identifiable', () => {
    const error = fitError([game('A', 'B', 3, 2)], { homeAdvantage: true });
    expect(error.failure).toBe('not-identifiable');
    expect(error.message).toContain('not identifiable');
  });

  it('reports non-convergence when maxIterations is too small', () => {
    const error = fitError([game('A', 'B', 9, 1), game('B', 'C', 8, 2), game('C', 'A', 1, 9)], { maxIterations: 1 });
    expect(error.failure).toBe('not-converged');
    expect(error.message).toMatch(/did not converge in 1 iterations.*raise options\.maxIterations/);
  });
});
