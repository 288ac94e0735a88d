/**
 * How per-unit log-likelihoods become one score per response.
 *
 * - `'sum'`: the sequence log-likelihood, sum_t log p(y_t | x, y_<t). What the DPO paper
 *   (Rafailov et al. 2023, Eq. 7) uses and TRL's default.
 * - `'mean'`: the sum divided by the number of completion tokens. Used by SimPO-style and
 *   IPO-style length normalisation, and by the `sft` loss as a per-token NLL.
 *
 * Losses that need the other reduction get it from the lengths in {@link PairScores}, so a
 * scorer only has to produce one.
 */
export type ScoreReduction = 'sum' | 'mean';

/** Every reduction, for validation and documentation. */
export const SCORE_REDUCTIONS = ['sum', 'mean'] as const satisfies readonly ScoreReduction[];
