import { describe, expect, it } from 'vitest';
import { choleskyFactor, choleskyInverse, choleskySolve } from './cholesky.js';

describe('cholesky', () => {
  const a = [
    [4, 12, -16],
    [12, 37, -43],
    [-16, -43, 98],
  ];

  it('factors the textbook example exactly: L = [[2,0,0],[6,1,0],[-8,5,3]]', () => {
    expect(Array.from(choleskyFactor(a)!.lower)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
  });

  it('solves and inverts: A x = b and A A^-1 = I', () => {
    const factor = choleskyFactor(a)!;
    const x = choleskySolve(factor, [1, 2, 3]);
    a.forEach((row, i) => {
      expect(row.reduce((sum, v, k) => sum + v * x[k]!, 0)).toBeCloseTo([1, 2, 3][i]!, 10);
    });
    const inverse = choleskyInverse(factor);
    a.forEach((row, i) => {
      a.forEach((_, j) => {
        expect(row.reduce((sum, v, k) => sum + v * inverse[k]![j]!, 0)).toBeCloseTo(i === j ? 1 : 0, 10);
      });
    });
    expect(inverse[0]![2]).toBe(inverse[2]![0]);
  });

  it('returns undefined for singular, indefinite or NaN matrices', () => {
    expect(
      choleskyFactor([
        [1, 1],
        [1, 1],
      ]),
    ).toBeUndefined();
    expect(
      choleskyFactor([
        [1, 2],
        [2, 1],
      ]),
    ).toBeUndefined();
    expect(choleskyFactor([[Number.NaN]])).toBeUndefined();
  });
});
