import { DPOTSError } from '@dpo-ts/core';

/**
 * Why a Bradley-Terry fit has no finite, unique maximum-likelihood estimate:
 * - `'separation'`: some items (or the home advantage) can be pushed to plus or minus
 *   infinity while the likelihood keeps increasing, for example an item that won all its games;
 * - `'disconnected'`: the comparison graph falls into groups never compared with each other, so
 *   their strengths are not on a common scale;
 * - `'not-identifiable'`: the parameters are confounded (the observed information is
 *   singular), for example a home advantage when every game was played in one orientation;
 * - `'not-converged'`: Newton-Raphson did not meet the tolerance within `maxIterations`.
 */
export type BradleyTerryFitFailure = 'separation' | 'disconnected' | 'not-identifiable' | 'not-converged';

/**
 * A Bradley-Terry fit whose maximum-likelihood estimate does not exist or was not reached.
 * The message says what happened and which items are involved; `items` lists them for code.
 *
 * `item "Milwaukee" won all 12 of its games: its strength has an infinite maximum-likelihood estimate`
 */
export class BradleyTerryFitError extends DPOTSError {
  /** What went wrong; see {@link BradleyTerryFitFailure}. */
  readonly failure: BradleyTerryFitFailure;
  /**
   * The items involved (the separated group, the components cut off from the reference item,
   * the parameters that were diverging), in sorted order; may contain `'homeAdvantage'` or
   * `'logNu'` for those parameters when `failure` is `'separation'` or `'not-converged'`.
   */
  readonly items: readonly string[];

  /**
   * Creates the error with `message` as is; `failure` and `items` let code react to it.
   * @param failure - the kind of failure.
   * @param items - the items or parameters involved, sorted.
   * @param message - the full explanation, naming the items and what to do.
   */
  constructor(failure: BradleyTerryFitFailure, items: readonly string[], message: string) {
    super(message);
    this.failure = failure;
    this.items = items;
  }
}
