import { describe, expect, it } from 'vitest';
import { frechetDistance, kernelDistance, symmetricEigen } from './feature-distance.js';

// A: (±1, 0), (0, ±2): mean 0, covariance diag(2/3, 8/3) with the n - 1 denominator.
const A = Float32Array.from([1, 0, -1, 0, 0, 2, 0, -2]);
// B = 2 A + (3, 4): mean (3, 4), covariance diag(8/3, 32/3).
const B = A.map((value, i) => 2 * value + (i % 2 === 0 ? 3 : 4));

describe('frechetDistance', () => {
  it('matches the hand computation for diagonal covariances', () => {
    // |(3, 4)|^2 + (sqrt(2/3) - sqrt(8/3))^2 + (sqrt(8/3) - sqrt(32/3))^2 = 25 + 2/3 + 8/3.
    expect(frechetDistance(A, B, 2)).toBeCloseTo(25 + 10 / 3, 5);
  });

  it('is 0 between a set and itself, and unchanged when both sets are rotated', () => {
    expect(frechetDistance(A, A, 2)).toBeCloseTo(0, 5);
    const rotate = (x: Float32Array) =>
      x.map((_, i) => (i % 2 === 0 ? (x[i]! - x[i + 1]!) / Math.SQRT2 : (x[i - 1]! + x[i]!) / Math.SQRT2));
    // Rotated, the covariances are no longer diagonal: the square roots must be full matrices.
    expect(frechetDistance(rotate(A), rotate(B), 2)).toBeCloseTo(25 + 10 / 3, 4);
  });

  it('matches the hand computation when the generated set has fewer rows than features (its m x m form)', () => {
    // Generated (0, ±1): mean 0, covariance diag(0, 2); C_1^{1/2} C_2 C_1^{1/2} = diag(0, 16/3).
    // d^2 = 0 + (2/3 + 8/3) + (0 + 2) - 2 sqrt(16/3).
    expect(frechetDistance(A, Float32Array.from([0, 1, 0, -1]), 2)).toBeCloseTo(16 / 3 - 2 * Math.sqrt(16 / 3), 6);
  });

  it('gives the same value through both forms: few generated rows against many features', () => {
    const dim = 6;
    const draw = (count: number, seed: number) =>
      Float32Array.from({ length: count * dim }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 2);
    const real = draw(20, 1);
    const few = draw(4, 2);
    // 4 generated rows against 6 features: frechetDistance takes its [m, m] form; the reference
    // below is FID's formula with the [dim, dim] square roots, computed here.
    const moments = (x: Float32Array) => {
      const n = x.length / dim;
      const mean = Array.from({ length: dim }, (_, d) => x.filter((_, k) => k % dim === d).reduce((a, b) => a + b) / n);
      const covariance = new Float64Array(dim * dim);
      for (let i = 0; i < n; i++)
        for (let a = 0; a < dim; a++)
          for (let b = 0; b < dim; b++)
            covariance[a * dim + b]! += ((x[i * dim + a]! - mean[a]!) * (x[i * dim + b]! - mean[b]!)) / (n - 1);
      return { mean, covariance };
    };
    const sqrtm = (matrix: Float64Array) => {
      const { values, vectors } = symmetricEigen(matrix, dim);
      const out = new Float64Array(dim * dim);
      for (let k = 0; k < dim; k++)
        for (let i = 0; i < dim; i++)
          for (let j = 0; j < dim; j++)
            out[i * dim + j]! += vectors[i * dim + k]! * Math.sqrt(Math.max(values[k]!, 0)) * vectors[j * dim + k]!;
      return out;
    };
    const product = (x: Float64Array, y: Float64Array) => {
      const out = new Float64Array(dim * dim);
      for (let i = 0; i < dim; i++)
        for (let k = 0; k < dim; k++)
          for (let j = 0; j < dim; j++) out[i * dim + j]! += x[i * dim + k]! * y[k * dim + j]!;
      return out;
    };
    const first = moments(real);
    const second = moments(few);
    const root = sqrtm(first.covariance);
    const cross = sqrtm(product(product(root, second.covariance), root));
    let expected = 0;
    for (let d = 0; d < dim; d++)
      expected +=
        (first.mean[d]! - second.mean[d]!) ** 2 +
        first.covariance[d * dim + d]! +
        second.covariance[d * dim + d]! -
        2 * cross[d * dim + d]!;
    expect(frechetDistance(real, few, dim)).toBeCloseTo(expected, 6);
  });
});

describe('symmetricEigen', () => {
  it('finds the eigenvalues 1 and 3 of [[2, 1], [1, 2]]', () => {
    const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect([...values].sort()).toEqual([expect.closeTo(1, 10), expect.closeTo(3, 10)]);
  });
});

describe('kernelDistance', () => {
  it('matches the hand computation in one dimension', () => {
    // k(x, y) = (xy + 1)^3. X = {0, 1}: k(0, 1) = 1. Y = {1, 2}: k(1, 2) = 27.
    // Cross: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1 + 1 + 8 + 27 = 37, mean 9.25.
    // MMD^2 = 1 + 27 - 2 * 9.25 = 9.5.
    expect(kernelDistance(Float32Array.from([0, 1]), Float32Array.from([1, 2]), 1)).toBeCloseTo(9.5, 10);
  });

  it('names the argument when a set has fewer than two rows', () => {
    expect(() => kernelDistance(Float32Array.from([0]), Float32Array.from([1, 2]), 1)).toThrow(/real\.length/);
  });
});
