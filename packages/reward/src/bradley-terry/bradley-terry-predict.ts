import { InvalidArgumentError, requireBoolean } from '@dpo-ts/core';
import type { BradleyTerryFitResult } from './bradley-terry-fit.js';
import { davidsonOutcomeProbabilities, type PairwiseOutcomeProbabilities } from './bradley-terry-ties.js';

/** Options of {@link predictWinProbability} and {@link predictOutcomeProbabilities}. */
export interface BradleyTerryPredictOptions {
  /**
   * Whether the first item plays at home (first position), adding the fitted home advantage
   * delta. Requires a fit with `homeAdvantage: true`. For the second item at home, swap the items.
   * @defaultValue false: a neutral comparison, lambda_i - lambda_j only
   */
  readonly home?: boolean;
}

/**
 * Probabilities of win, tie and loss for item `first` against item `second` under a fitted model:
 * eta = lambda_first - lambda_second (+ delta when `home`), then the Davidson probabilities with
 * the fitted nu (tie = 0 without the tie model).
 *
 * @throws InvalidArgumentError when an item was not in the fitted data, or `home` is requested
 *   from a fit without a home-advantage term.
 * @see Bradley and Terry (1952); Davidson (1970), Eq. 2.1.
 */
export function predictOutcomeProbabilities(
  fit: BradleyTerryFitResult,
  first: string,
  second: string,
  options: BradleyTerryPredictOptions = {},
): PairwiseOutcomeProbabilities {
  const lambdaFirst = strengthOf(fit, 'first', first);
  const lambdaSecond = strengthOf(fit, 'second', second);
  const home = requireBoolean('options.home', options.home ?? false);
  if (home && !fit.homeAdvantage) {
    throw new InvalidArgumentError(
      'options.home',
      'false for a fit without a home-advantage term',
      home,
      'fit with homeAdvantage: true',
    );
  }
  const eta = lambdaFirst - lambdaSecond + (home ? (fit.homeAdvantage?.estimate ?? 0) : 0);
  return davidsonOutcomeProbabilities(eta, fit.ties ? fit.ties.logNu.estimate : Number.NEGATIVE_INFINITY);
}

/**
 * P(`first` beats `second`) under a fitted Bradley-Terry model:
 * 1 / (1 + exp(-(lambda_first - lambda_second + delta * home))) without ties; with the Davidson
 * tie model, the probability of an outright win (ties excluded), so that
 * P(first wins) + P(second wins) + P(tie) = 1.
 *
 * @param fit from `bradleyTerryFit`.
 * @param first the item whose win probability is returned; must be in the fitted data.
 * @param second its opponent; must be in the fitted data.
 * @throws InvalidArgumentError as {@link predictOutcomeProbabilities}.
 * @example predictWinProbability(fit, 'Milwaukee', 'Baltimore', { home: true }); // 0.87
 */
export function predictWinProbability(
  fit: BradleyTerryFitResult,
  first: string,
  second: string,
  options: BradleyTerryPredictOptions = {},
): number {
  return predictOutcomeProbabilities(fit, first, second, options).win;
}

function strengthOf(fit: BradleyTerryFitResult, argument: string, item: string): number {
  const value = Object.hasOwn(fit.coefficients, item) ? fit.coefficients[item] : undefined;
  if (value === undefined) {
    const listed =
      fit.items.length <= 10 ? fit.items.map((name) => JSON.stringify(name)).join(', ') : `${fit.items.length} items`;
    throw new InvalidArgumentError(argument, `an item of the fitted model (${listed})`, item);
  }
  return value;
}
