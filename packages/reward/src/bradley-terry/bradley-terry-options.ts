import { InvalidArgumentError, requireBoolean, requireInteger, requireNumber, requireOneOf } from '@dpo-ts/core';

/**
 * How ties are modelled:
 * - `'none'`: the plain Bradley-Terry model; data with ties are rejected (never silently dropped);
 * - `'davidson'`: Davidson's (1970) model, P(tie) proportional to nu * sqrt(pi_i * pi_j), with nu fitted.
 *
 * Davidson rather than Rao-Kupper (1967): its probabilities depend on lambda_i - lambda_j only,
 * it reduces to Bradley-Terry at nu = 0, nu has a direct reading (P(tie) = nu / (2 + nu) between
 * equal items), and the two-item MLE has a closed form, nu = ties / sqrt(wins * losses). It is
 * also the tie model of the PlackettLuce R package (Turner et al. 2020).
 * @see Davidson, R. R. (1970). On extending the Bradley-Terry model to accommodate ties in
 *   paired comparison experiments. JASA 65(329), 317-328.
 */
export type BradleyTerryTieModel = 'none' | 'davidson';

/** The tie models {@link bradleyTerryFit} accepts. */
export const BRADLEY_TERRY_TIE_MODELS = ['none', 'davidson'] as const satisfies readonly BradleyTerryTieModel[];

/** Options of {@link bradleyTerryFit}; every field is optional. */
export interface BradleyTerryFitOptions {
  /**
   * The item whose strength is fixed at 0 so that the others are identified (R BradleyTerry2's
   * `refcat`). Every other strength is a log-odds relative to it.
   * @defaultValue the first item in code-unit order (`'Baltimore'` in the baseball data)
   */
  readonly referenceItem?: string;
  /**
   * Fit a home (first-position) advantage delta: logit P(home beats away) = lambda_home -
   * lambda_away + delta. Agresti (2002) §10.6 fits it to the baseball data.
   * @defaultValue false
   */
  readonly homeAdvantage?: boolean;
  /** How ties are modelled; see {@link BradleyTerryTieModel}. @defaultValue 'none' */
  readonly tieModel?: BradleyTerryTieModel;
  /** Newton-Raphson iterations before giving up with a `'not-converged'` error. @defaultValue 25 (glm's `maxit`) */
  readonly maxIterations?: number;
  /**
   * Convergence: stop when the largest Newton step is at most `tolerance * (1 + max |theta|)`.
   * Newton converges quadratically, so the estimates are then accurate far beyond `tolerance`.
   * @defaultValue 1e-9
   */
  readonly tolerance?: number;
}

/** {@link BradleyTerryFitOptions} with every field set (the reference item still unresolved). */
export interface ResolvedBradleyTerryFitOptions {
  readonly referenceItem: string;
  readonly homeAdvantage: boolean;
  readonly tieModel: BradleyTerryTieModel;
  readonly maxIterations: number;
  readonly tolerance: number;
}

/** Defaults of {@link BradleyTerryFitOptions}; `referenceItem` depends on the data and is absent. */
export const DEFAULT_BRADLEY_TERRY_FIT_OPTIONS = Object.freeze({
  /** No home (first-position) advantage term. */
  homeAdvantage: false,
  /** Plain Bradley-Terry: data with ties are rejected. */
  tieModel: 'none',
  /** Newton-Raphson iterations, R glm's `maxit` default. */
  maxIterations: 25,
  /** Largest Newton step relative to 1 + max |theta| at convergence. */
  tolerance: 1e-9,
} as const satisfies Omit<ResolvedBradleyTerryFitOptions, 'referenceItem'>);

/**
 * Merges `options` with the defaults and validates them once, against the data's items and tie
 * counts.
 * @param items the sorted distinct items of the data.
 * @param totalTies ties over all rows.
 * @param totalGames games (wins, losses and ties) over all rows.
 * @throws InvalidArgumentError naming the option, what was expected and what was received:
 *   an unknown reference item, ties in the data with `tieModel: 'none'`, the Davidson model on
 *   data without ties (its MLE nu = 0 is on the boundary) or with nothing but ties (nu infinite).
 */
export function resolveBradleyTerryFitOptions(
  options: BradleyTerryFitOptions,
  items: readonly string[],
  totalTies: number,
  totalGames: number,
): ResolvedBradleyTerryFitOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'an object of Bradley-Terry fit options', options);
  }
  const merged = { ...DEFAULT_BRADLEY_TERRY_FIT_OPTIONS, ...options };
  const referenceItem = merged.referenceItem ?? items[0] ?? '';
  if (!items.includes(referenceItem)) {
    const listed = items.length <= 10 ? items.map((item) => JSON.stringify(item)).join(', ') : `${items.length} items`;
    throw new InvalidArgumentError(
      'options.referenceItem',
      `one of the items in data (${listed})`,
      merged.referenceItem,
    );
  }
  const homeAdvantage = requireBoolean('options.homeAdvantage', merged.homeAdvantage);
  const tieModel = requireOneOf('options.tieModel', merged.tieModel, BRADLEY_TERRY_TIE_MODELS);
  const maxIterations = requireInteger('options.maxIterations', merged.maxIterations, { min: 1 });
  const tolerance = requireNumber('options.tolerance', merged.tolerance, { min: 0, exclusiveMin: true });
  if (tieModel === 'none' && totalTies > 0) {
    throw new InvalidArgumentError(
      'options.tieModel',
      '"davidson" when the data contain ties',
      tieModel,
      `the data contain ${totalTies} tie${totalTies === 1 ? '' : 's'}; ties are never dropped`,
    );
  }
  if (tieModel === 'davidson' && (totalTies === 0 || totalTies === totalGames)) {
    throw new InvalidArgumentError(
      'options.tieModel',
      '"none" unless the data contain both ties and decided games',
      tieModel,
      `${totalTies} of ${totalGames} games are ties, so the maximum-likelihood nu is ${totalTies === 0 ? '0' : 'infinite'}`,
    );
  }
  return { referenceItem, homeAdvantage, tieModel, maxIterations, tolerance };
}
