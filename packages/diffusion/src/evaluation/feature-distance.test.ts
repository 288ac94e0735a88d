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
