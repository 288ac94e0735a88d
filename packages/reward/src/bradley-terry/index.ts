/**
 * Item-level Bradley-Terry fits: maximum-likelihood strengths of items from pairwise win counts,
 * with a home (first-position) advantage and Davidson ties, standard errors, deviance and
 * predictions; and a CSV reader for the counts.
 * @see Bradley and Terry (1952); Agresti (2002) §10.6; Davidson (1970).
 */
export { bradleyTerryFit, type BradleyTerryFitResult, type BradleyTerryEstimate } from './bradley-terry-fit.js';
export { BradleyTerryFitError, type BradleyTerryFitFailure } from './bradley-terry-fit-error.js';
export {
  BRADLEY_TERRY_TIE_MODELS,
  DEFAULT_BRADLEY_TERRY_FIT_OPTIONS,
  type BradleyTerryFitOptions,
  type BradleyTerryTieModel,
} from './bradley-terry-options.js';
export {
  predictOutcomeProbabilities,
  predictWinProbability,
  type BradleyTerryPredictOptions,
} from './bradley-terry-predict.js';
export { davidsonOutcomeProbabilities, type PairwiseOutcomeProbabilities } from './bradley-terry-ties.js';
export type { PairwiseComparison } from './pairwise-comparisons.js';
export {
  PAIRWISE_COMPARISON_CSV_COLUMNS,
  parsePairwiseComparisonsCsv,
  readPairwiseComparisonsCsv,
} from './pairwise-comparisons-csv.js';
