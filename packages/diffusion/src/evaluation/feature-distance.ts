import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/**
 * Mean `[dim]` and covariance `[dim, dim]` (n - 1 denominator) of `n` feature rows.
 * @param features - `[n, dim]` row-major, n >= 2.
 */
export function featureMoments(features: Float32Array, dim: number): { mean: Float64Array; covariance: Float64Array } {
  requireInteger('dim', dim, { min: 1 });
  const n = features.length / dim;
  if (!Number.isInteger(n) || n < 2)
    throw new InvalidArgumentError(
      'features.length',
      `a multiple of dim (${dim}) with at least 2 rows`,
      features.length,
    );
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d]! += features[i * dim + d]! / n;
  const covariance = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < dim; a++) {
      const da = features[i * dim + a]! - mean[a]!;
      for (let b = a; b < dim; b++) covariance[a * dim + b]! += (da * (features[i * dim + b]! - mean[b]!)) / (n - 1);
    }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) covariance[a * dim + b] = covariance[b * dim + a]!;
  return { mean, covariance };
}

/**
 * Eigenvalues and eigenvectors of a symmetric `[dim, dim]` matrix by cyclic Jacobi rotations
 * (Golub & Van Loan 2013, Sec. 8.5): converges quadratically; exact enough for covariances of
 * a few dozen features. Returns `vectors` with eigenvector k in column k.
 */
export function symmetricEigen(matrix: Float64Array, dim: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) v[i * dim + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += a[p * dim + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < dim; p++)
      for (let q = p + 1; q < dim; q++) {
        const apq = a[p * dim + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * dim + q]! - a[p * dim + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < dim; k++) {
          const akp = a[k * dim + p]!;
          const akq = a[k * dim + q]!;
          a[k * dim + p] = c * akp - s * akq;
          a[k * dim + q] = s * akp + c * akq;
        }
        for (let k = 0; k < dim; k++) {
          const apk = a[p * dim + k]!;
          const aqk = a[q * dim + k]!;
          a[p * dim + k] = c * apk - s * aqk;
          a[q * dim + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < dim; k++) {
          const vkp = v[k * dim + p]!;
          const vkq = v[k * dim + q]!;
          v[k * dim + p] = c * vkp - s * vkq;
          v[k * dim + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: dim }, (_, i) => a[i * dim + i]!), vectors: v };
}

/** The symmetric positive semi-definite square root V diag(sqrt(max(lambda, 0))) V^T. */
function sqrtPSD(matrix: Float64Array, dim: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, dim);
  const out = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) {
    const root = Math.sqrt(Math.max(values[k]!, 0));
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++) out[i * dim + j]! += vectors[i * dim + k]! * root * vectors[j * dim + k]!;
  }
  return out;
}

function multiply(x: Float64Array, y: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++)
    for (let k = 0; k < dim; k++) {
      const xik = x[i * dim + k]!;
      for (let j = 0; j < dim; j++) out[i * dim + j]! += xik * y[k * dim + j]!;
    }
  return out;
}

/**
 * The Frechet distance between Gaussians fitted to two feature sets, FID's formula (Heusel et
 * al. 2017, Eq. 6; Dowson & Landau 1982):
 *
 *   d^2 = |mu_1 - mu_2|^2 + Tr(C_1 + C_2 - 2 (C_1^{1/2} C_2 C_1^{1/2})^{1/2})
 *
 * (the symmetric form of Tr (C_1 C_2)^{1/2}, so only symmetric square roots are needed). It is
 * biased upwards for few samples (the covariances are noisy); prefer {@link kernelDistance}
 * when n is below a few times dim.
 * @param real - `[n, dim]`; `generated` - `[m, dim]`; n, m >= 2.
 */
export function frechetDistance(real: Float32Array, generated: Float32Array, dim: number): number {
  const first = featureMoments(real, dim);
  const second = featureMoments(generated, dim);
  let meanTerm = 0;
  for (let d = 0; d < dim; d++) meanTerm += (first.mean[d]! - second.mean[d]!) ** 2;
  const m = generated.length / dim;
  let trace = 0;
  for (let d = 0; d < dim; d++) trace += first.covariance[d * dim + d]! + second.covariance[d * dim + d]!;
  return meanTerm + trace - 2 * crossTrace(first.covariance, generated, second, dim, m);
}

/**
 * Tr (C_1^{1/2} C_2 C_1^{1/2})^{1/2}. With C_2 = X^T X / (m - 1) (X the centred generated rows,
 * `[m, dim]`), C_1^{1/2} C_2 C_1^{1/2} = B^T B for B = X C_1^{1/2} / sqrt(m - 1), whose non-zero
 * eigenvalues are those of B B^T = X C_1 X^T / (m - 1), `[m, m]`: when m <= dim (a few dozen
 * samples against 256 features) that small eigenproblem replaces two `[dim, dim]` ones, the
 * same value ~50x faster. Otherwise the square roots themselves.
 */
function crossTrace(
  realCovariance: Float64Array,
  generated: Float32Array,
  moments: { mean: Float64Array; covariance: Float64Array },
  dim: number,
  m: number,
): number {
  let sum = 0;
  if (m > dim) {
    const root = sqrtPSD(realCovariance, dim);
    const cross = sqrtPSD(multiply(multiply(root, moments.covariance, dim), root, dim), dim);
    for (let d = 0; d < dim; d++) sum += cross[d * dim + d]!;
    return sum;
  }
  const centred = Float64Array.from(generated, (value, k) => value - moments.mean[k % dim]!);
  // [m, dim] x [dim, dim] -> [m, dim], then x [dim, m] -> [m, m].
  const projected = new Float64Array(m * dim);
  for (let i = 0; i < m; i++)
    for (let k = 0; k < dim; k++) {
      const xik = centred[i * dim + k]!;
      for (let j = 0; j < dim; j++) projected[i * dim + j]! += xik * realCovariance[k * dim + j]!;
    }
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = i; j < m; j++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += projected[i * dim + d]! * centred[j * dim + d]!;
      gram[i * m + j] = dot / (m - 1);
      gram[j * m + i] = dot / (m - 1);
    }
  for (const value of symmetricEigen(gram, m).values) sum += Math.sqrt(Math.max(value, 0));
  return sum;
}

/**
 * The kernel distance (KID, Binkowski et al. 2018, Eq. 3 and Sec. 4): the unbiased estimate of
 * the squared MMD with the cubic polynomial kernel k(x, y) = (x.y / dim + 1)^3,
 *
 *   MMD^2 = mean_{i != j} k(x_i, x_j) + mean_{i != j} k(y_i, y_j) - 2 mean_{i, j} k(x_i, y_j),
 *
 * unbiased at any sample size (it can be slightly negative), so it suits the few dozen images
 * per model of the quick mode.
 * @param real - `[n, dim]`; `generated` - `[m, dim]`; n, m >= 2.
 */
export function kernelDistance(real: Float32Array, generated: Float32Array, dim: number): number {
  requireInteger('dim', dim, { min: 1 });
  const n = real.length / dim;
  const m = generated.length / dim;
  if (!(Number.isInteger(n) && n >= 2))
    throw new InvalidArgumentError('real.length', `>= 2 rows of ${dim}`, real.length);
  if (!(Number.isInteger(m) && m >= 2))
    throw new InvalidArgumentError('generated.length', `>= 2 rows of ${dim}`, generated.length);
  const k = (x: Float32Array, i: number, y: Float32Array, j: number): number => {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += x[i * dim + d]! * y[j * dim + d]!;
    return (dot / dim + 1) ** 3;
  };
  let xx = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) xx += k(real, i, real, j);
  let yy = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) yy += k(generated, i, generated, j);
  let xy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(real, i, generated, j);
  return xx / (n * (n - 1)) + yy / (m * (m - 1)) - (2 * xy) / (n * m);
}
