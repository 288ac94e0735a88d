import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { bradleyTerryFit } from './bradley-terry-fit.js';
import { indexPairwiseComparisons, type PairwiseComparison } from './pairwise-comparisons.js';

const valid: PairwiseComparison[] = [
  { home: 'b', away: 'a', homeWins: 2, awayWins: 1 },
  { home: 'a', away: 'c', homeWins: 1, awayWins: 1, ties: 0 },
];

/** Each case: the data or options, and the exact message (argument, expected, actual). */
const INVALID: [string, unknown, object, string][] = [
  ['empty data', [], {}, 'data must be a non-empty array of pairwise comparisons: got []'],
  ['data not an array', { home: 'a' }, {}, 'data must be a non-empty array of pairwise comparisons: got {"home":"a"}'],
  [
    'a row that is not an object',
    [null],
    {},
    'data[0] must be an object { home, away, homeWins, awayWins, ties? }: got null',
  ],
  [
    'an empty item name',
    [{ home: '', away: 'a', homeWins: 1, awayWins: 0 }],
    {},
    'data[0].home must be a non-empty item name: got ""',
  ],
  [
    'a numeric item name',
    [{ home: 'a', away: 7, homeWins: 1, awayWins: 0 }],
    {},
    'data[0].away must be a non-empty item name: got 7',
  ],
  [
    'a self-comparison',
    [...valid, { home: 'a', away: 'a', homeWins: 1, awayWins: 0 }],
    {},
    'data[2].away must be an item other than home "a": got "a" (self-comparison)',
  ],
  [
    'a negative count',
    [{ home: 'a', away: 'b', homeWins: -1, awayWins: 2 }],
    {},
    'data[0].homeWins must be an integer >= 0: got -1',
  ],
  [
    'a fractional count',
    [{ home: 'a', away: 'b', homeWins: 1, awayWins: 2.5 }],
    {},
    'data[0].awayWins must be an integer >= 0: got 2.5',
  ],
  [
    'a NaN count',
    [{ home: 'a', away: 'b', homeWins: 1, awayWins: 2, ties: NaN }],
    {},
    'data[0].ties must be an integer >= 0: got NaN',
  ],
  [
    'no games at all',
    [{ home: 'a', away: 'b', homeWins: 0, awayWins: 0 }],
    {},
    'data must be rows with at least one game in total: got 0 (1 rows, every count 0)',
  ],
  [
    'an unknown reference item',
    valid,
    { referenceItem: 'z' },
    'options.referenceItem must be one of the items in data ("a", "b", "c"): got "z"',
  ],
  [
    'a non-boolean homeAdvantage',
    valid,
    { homeAdvantage: 'yes' },
    'options.homeAdvantage must be a boolean: got "yes"',
  ],
  [
    'an unknown tie model',
    valid,
    { tieModel: 'rao-kupper' },
    'options.tieModel must be one of "none", "davidson": got "rao-kupper"',
  ],
  ['zero maxIterations', valid, { maxIterations: 0 }, 'options.maxIterations must be an integer >= 1: got 0'],
  ['a negative tolerance', valid, { tolerance: -1 }, 'options.tolerance must be a finite number > 0: got -1'],
];

describe('input validation', () => {
  it.each(INVALID)('rejects %s with a message naming argument, expectation and value', (_, data, options, message) => {
    const fit = (): unknown => bradleyTerryFit(data as PairwiseComparison[], options);
    expect(fit).toThrow(InvalidArgumentError);
    expect(fit).toThrow(message);
  });

  it('indexes items in code-unit order, independent of locale', () => {
    const indexed = indexPairwiseComparisons([{ home: 'apple', away: 'Zebra', homeWins: 1, awayWins: 2, ties: 3 }]);
    expect(indexed.items).toEqual(['Zebra', 'apple']);
    expect(indexed.rows[0]).toEqual({ homeIndex: 1, awayIndex: 0, homeWins: 1, awayWins: 2, ties: 3, games: 6 });
    expect(indexed.totalGames).toBe(6);
    expect(indexed.totalTies).toBe(3);
  });

  it('accepts item names that are Object.prototype keys', () => {
    const fit = bradleyTerryFit([{ home: '__proto__', away: 'constructor', homeWins: 3, awayWins: 1 }]);
    expect(Object.keys(fit.coefficients)).toEqual(['__proto__', 'constructor']);
    expect(fit.coefficients.constructor).toBeCloseTo(-Math.log(3), 10);
  });
});
