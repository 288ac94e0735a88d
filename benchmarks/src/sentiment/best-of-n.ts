/**
 * KL(pi_bon || pi_ref) of best-of-N sampling, the analytic upper bound log N - (N - 1) / N nats:
 * exact in the limit of a continuous reward without ties, an upper bound otherwise. 0 for N = 1.
 * Best-of-N changes no weights, so this bound (not a log-ratio estimate) is its KL coordinate.
 * @see Stiennon et al. 2020, "Learning to summarize from human feedback" (the formula);
 *   Beirami et al. 2024, "Theoretical guarantees on the best-of-n alignment policy" (that it is a bound).
 */
export function bestOfNKLBound(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1: got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

/**
 * For each group of consecutive `groupSize` candidates, the index (into `scores`) of the first
 * `n` candidates' best score; ties go to the earliest. With n < groupSize the first n of each
 * group are used, so best-of-4 and best-of-16 share samples and the smaller N is nested in
 * the larger.
 */
export function bestOfNIndices(scores: readonly number[], groupSize: number, n: number): number[] {
  if (n < 1 || n > groupSize) throw new RangeError(`n must be in [1, ${groupSize}]: got ${n}`);
  if (scores.length % groupSize !== 0)
    throw new RangeError(`scores.length ${scores.length} is not a multiple of groupSize ${groupSize}`);
  const picks: number[] = [];
  for (let start = 0; start < scores.length; start += groupSize) {
    let best = start;
    for (let i = start + 1; i < start + n; i++) if (scores[i]! > scores[best]!) best = i;
    picks.push(best);
  }
  return picks;
}
