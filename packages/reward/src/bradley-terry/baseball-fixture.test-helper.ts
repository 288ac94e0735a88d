import type { PairwiseComparison } from './pairwise-comparisons.js';
import { readPairwiseComparisonsCsv } from './pairwise-comparisons-csv.js';

/**
 * Location of the 1987 American League East baseball fixture, `fixtures/baseball-1987.csv` in
 * this package: 42 rows `home,away,homeWins,awayWins`, 7 teams, 273 games (13 per pair).
 * See `fixtures/README.md` for its source and how it was extracted.
 *
 * Test and example support: the `fixtures/` folder is not in the package's published `files`, so
 * this module is deliberately not exported from the package entry point.
 * @see Agresti, A. (2002). Categorical Data Analysis, 2nd ed., §10.6, p. 438.
 */
export const BASEBALL_1987_FIXTURE_URL = new URL('../../fixtures/baseball-1987.csv', import.meta.url);

/**
 * Reads the 1987 baseball fixture ({@link BASEBALL_1987_FIXTURE_URL}).
 * @returns 42 comparisons in the order of BradleyTerry2's `baseball` data frame.
 * @throws DataFormatError if the file has been corrupted.
 */
export function loadBaseball1987(): Promise<PairwiseComparison[]> {
  return readPairwiseComparisonsCsv(BASEBALL_1987_FIXTURE_URL);
}
