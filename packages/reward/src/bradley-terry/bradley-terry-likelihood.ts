import { davidsonRowTerms } from './bradley-terry-ties.js';
import type { IndexedComparison } from './pairwise-comparisons.js';

/**
 * Where each quantity sits in the free-parameter vector theta of a Bradley-Terry fit:
 * [lambda of every item but the reference (sorted order), delta (home advantage, if fitted),
 * phi = log nu (Davidson ties, if fitted)].
 */
export interface ParameterLayout {
  /** For each item (sorted order), its index in theta; -1 for the reference item, fixed at 0. */
  readonly itemParameter: readonly number[];
  /** Index of delta in theta, or -1. */
  readonly homeIndex: number;
  /** Index of phi = log nu in theta, or -1 (then phi = -Infinity, no ties). */
  readonly phiIndex: number;
  /** Length of theta. */
  readonly size: number;
}

/** Builds the {@link ParameterLayout} for `itemCount` items. */
export function parameterLayout(
  itemCount: number,
  referenceIndex: number,
  homeAdvantage: boolean,
  ties: boolean,
): ParameterLayout {
  let next = 0;
  const itemParameter = Array.from({ length: itemCount }, (_, i) => (i === referenceIndex ? -1 : next++));
  const homeIndex = homeAdvantage ? next++ : -1;
  const phiIndex = ties ? next++ : -1;
  return { itemParameter, homeIndex, phiIndex, size: next };
}

/**
 * Linear predictor of one row, eta = lambda_home - lambda_away + delta (delta when fitted), and
 * the row's design vector as sparse (index, coefficient) pairs, so that eta = sum coefficient *
 * theta[index].
 */
export function rowDesign(row: IndexedComparison, layout: ParameterLayout): { index: number; coefficient: number }[] {
  const design: { index: number; coefficient: number }[] = [];
  const home = layout.itemParameter[row.homeIndex] ?? -1;
  const away = layout.itemParameter[row.awayIndex] ?? -1;
  if (home >= 0) design.push({ index: home, coefficient: 1 });
  if (away >= 0) design.push({ index: away, coefficient: -1 });
  if (layout.homeIndex >= 0) design.push({ index: layout.homeIndex, coefficient: 1 });
  return design;
}

/** Log-likelihood kernel at theta, with its gradient [p] and Hessian [p][p] when requested. */
export interface LikelihoodEvaluation {
  /** sum over rows of w log P(win) + l log P(loss) + t log P(tie): no multinomial coefficients. */
  readonly logLikelihoodKernel: number;
  readonly gradient: number[];
  /** Negative semi-definite: the model is concave in theta. */
  readonly hessian: number[][];
}

/**
 * Evaluates the Bradley-Terry (Davidson) log-likelihood kernel and its derivatives at theta.
 * The chain rule through the linear predictor: gradient = sum dL/deta * x (+ dL/dphi on phi),
 * Hessian = sum d2L/deta2 * x x^T (+ cross and phi terms), x the row's design vector.
 * Cost O(rows + p^2) per call.
 */
export function evaluateLikelihood(
  theta: readonly number[],
  rows: readonly IndexedComparison[],
  layout: ParameterLayout,
): LikelihoodEvaluation {
  const p = layout.size;
  const gradient = new Array<number>(p).fill(0);
  const hessian = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const phi = layout.phiIndex >= 0 ? (theta[layout.phiIndex] ?? 0) : Number.NEGATIVE_INFINITY;
  let logLikelihoodKernel = 0;
  for (const row of rows) {
    if (row.games === 0) continue;
    const design = rowDesign(row, layout);
    let eta = 0;
    for (const { index, coefficient } of design) eta += coefficient * (theta[index] ?? 0);
    const terms = davidsonRowTerms(row.homeWins, row.awayWins, row.ties, eta, phi);
    logLikelihoodKernel += terms.logLikelihood;
    for (const a of design) {
      addTo(gradient, a.index, terms.dEta * a.coefficient);
      const hessianRow = hessian[a.index] ?? [];
      for (const b of design) addTo(hessianRow, b.index, terms.dEtaEta * a.coefficient * b.coefficient);
      if (layout.phiIndex >= 0) {
        addTo(hessianRow, layout.phiIndex, terms.dEtaPhi * a.coefficient);
        addTo(hessian[layout.phiIndex] ?? [], a.index, terms.dEtaPhi * a.coefficient);
      }
    }
    if (layout.phiIndex >= 0) {
      addTo(gradient, layout.phiIndex, terms.dPhi);
      addTo(hessian[layout.phiIndex] ?? [], layout.phiIndex, terms.dPhiPhi);
    }
  }
  return { logLikelihoodKernel, gradient, hessian };
}

/**
 * The saturated model's kernel, sum over rows and outcomes of y log(y / n): each row's own
 * observed proportions. Deviance = 2 * (saturated kernel - fitted kernel), which for the
 * binomial model is R glm's residual deviance.
 */
export function saturatedLogLikelihoodKernel(rows: readonly IndexedComparison[]): number {
  let total = 0;
  for (const row of rows) {
    for (const y of [row.homeWins, row.awayWins, row.ties]) {
      if (y > 0) total += y * Math.log(y / row.games);
    }
  }
  return total;
}

/**
 * Sum over rows of log(n! / (w! l! t!)), the multinomial (binomial without ties) coefficients.
 * Constant in theta; added so that the reported log-likelihood equals R's `logLik(glm(...))`.
 */
export function logMultinomialCoefficients(rows: readonly IndexedComparison[]): number {
  let total = 0;
  for (const row of rows) {
    total += logFactorial(row.games) - logFactorial(row.homeWins) - logFactorial(row.awayWins) - logFactorial(row.ties);
  }
  return total;
}

const LOG_FACTORIAL_TABLE: number[] = [0];

/**
 * log(n!) for a non-negative integer n: exact sums of logs up to 1024 (cached), Stirling's
 * series with three correction terms beyond (absolute error below 1e-13 there).
 */
export function logFactorial(n: number): number {
  if (n < 1024) {
    for (let k = LOG_FACTORIAL_TABLE.length; k <= n; k++) {
      LOG_FACTORIAL_TABLE.push((LOG_FACTORIAL_TABLE[k - 1] ?? 0) + Math.log(k));
    }
    return LOG_FACTORIAL_TABLE[n] ?? Number.NaN;
  }
  const n3 = n * n * n;
  return (
    n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n3) + 1 / (1260 * n3 * n * n)
  );
}

function addTo(vector: number[], index: number, value: number): void {
  vector[index] = (vector[index] ?? 0) + value;
}
