import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/**
 * One row of pairwise-comparison counts between two items.
 *
 * `home` and `away` are the first and second positions: the home and away teams in sport, the
 * left and right (or first and second shown) responses in a preference study. For plain
 * unordered comparisons they are simply item A and item B, and the home-advantage term is left
 * off. Several rows may describe the same pair (in either orientation); they are not merged, so
 * the deviance and its degrees of freedom are over the rows as given, as with R's `glm`.
 *
 * @example { home: 'Milwaukee', away: 'Detroit', homeWins: 4, awayWins: 3 }
 */
export interface PairwiseComparison {
  /** The item in the first (home) position; a non-empty string. */
  readonly home: string;
  /** The item in the second (away) position; a non-empty string different from `home`. */
  readonly away: string;
  /** How many times `home` beat `away`; a non-negative integer. */
  readonly homeWins: number;
  /** How many times `away` beat `home`; a non-negative integer. */
  readonly awayWins: number;
  /**
   * How many comparisons were ties; a non-negative integer.
   * Ties need the Davidson tie model (`tieModel: 'davidson'`): they are never dropped.
   * @defaultValue 0
   */
  readonly ties?: number;
}

/** A validated row, with items replaced by their index into the sorted item list. */
export interface IndexedComparison {
  readonly homeIndex: number;
  readonly awayIndex: number;
  readonly homeWins: number;
  readonly awayWins: number;
  readonly ties: number;
  /** homeWins + awayWins + ties. */
  readonly games: number;
}

/** Validated comparisons: sorted distinct items and the rows that refer to them by index. */
export interface IndexedComparisons {
  /** Every item named in `data`, sorted by UTF-16 code unit (locale-independent) order. */
  readonly items: readonly string[];
  readonly rows: readonly IndexedComparison[];
  /** Totals over all rows. */
  readonly totalGames: number;
  readonly totalTies: number;
}

/**
 * Validates pairwise-comparison rows and indexes their items.
 *
 * Items are sorted by code unit (`'Baltimore' < 'Boston' < 'New York'`), not by locale, so the
 * default reference item does not depend on the machine. Rows with no games are kept (they carry
 * no information and are left out of the degrees of freedom, as `glm` does with zero weights).
 *
 * @throws InvalidArgumentError when `data` is not a non-empty array, a row is not an object, an
 *   item name is not a non-empty string, a row compares an item with itself, or a count is not a
 *   non-negative integer; the message names the row, e.g. `data[3].homeWins`.
 */
export function indexPairwiseComparisons(data: readonly PairwiseComparison[]): IndexedComparisons {
  if (!Array.isArray(data) || data.length === 0) {
    throw new InvalidArgumentError('data', 'a non-empty array of pairwise comparisons', data);
  }
  const names = new Set<string>();
  data.forEach((row: unknown, r) => {
    if (typeof row !== 'object' || row === null) {
      throw new InvalidArgumentError(`data[${r}]`, 'an object { home, away, homeWins, awayWins, ties? }', row);
    }
    const { home, away } = row as Record<string, unknown>;
    for (const [field, value] of [
      ['home', home],
      ['away', away],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new InvalidArgumentError(`data[${r}].${field}`, 'a non-empty item name', value);
      }
      names.add(value);
    }
    if (home === away) {
      throw new InvalidArgumentError(
        `data[${r}].away`,
        `an item other than home ${JSON.stringify(home)}`,
        away,
        'self-comparison',
      );
    }
  });
  const items = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const indexOf = new Map(items.map((item, index) => [item, index]));

  let totalGames = 0;
  let totalTies = 0;
  const rows = data.map((row, r): IndexedComparison => {
    const homeWins = requireInteger(`data[${r}].homeWins`, row.homeWins, { min: 0 });
    const awayWins = requireInteger(`data[${r}].awayWins`, row.awayWins, { min: 0 });
    const ties = row.ties === undefined ? 0 : requireInteger(`data[${r}].ties`, row.ties, { min: 0 });
    const games = homeWins + awayWins + ties;
    totalGames += games;
    totalTies += ties;
    return {
      homeIndex: indexOf.get(row.home) ?? -1,
      awayIndex: indexOf.get(row.away) ?? -1,
      homeWins,
      awayWins,
      ties,
      games,
    };
  });
  if (totalGames === 0) {
    throw new InvalidArgumentError(
      'data',
      'rows with at least one game in total',
      totalGames,
      `${data.length} rows, every count 0`,
    );
  }
  return { items, rows, totalGames, totalTies };
}
