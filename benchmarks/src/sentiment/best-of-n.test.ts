import { describe, expect, it } from 'vitest';
import { bestOfNIndices, bestOfNKLBound } from './best-of-n.js';

/**
 * Exact KL(best-of-n || uniform) over m equally likely candidates with distinct rewards: the
 * candidate of rank i (1 = worst) is the best of n draws with probability (i^n - (i-1)^n) / m^n.
 */
function exactBestOfNKL(n: number, m: number): number {
  let kl = 0;
  for (let i = 1; i <= m; i++) {
    const p = (i ** n - (i - 1) ** n) / m ** n;
    if (p > 0) kl += p * Math.log(p * m);
  }
  return kl;
}

describe('bestOfNKLBound', () => {
  it('is log N - (N - 1) / N: 0 for N = 1, hand values for 2, 4, 16', () => {
    expect(bestOfNKLBound(1)).toBe(0);
    expect(bestOfNKLBound(2)).toBeCloseTo(Math.log(2) - 0.5, 12); // 0.1931
    expect(bestOfNKLBound(4)).toBeCloseTo(1.3862943611 - 0.75, 9); // 0.6363
    expect(bestOfNKLBound(16)).toBeCloseTo(2.7725887222 - 0.9375, 9); // 1.8351
    expect(() => bestOfNKLBound(0)).toThrow(RangeError);
  });

  it('bounds the exact KL of best-of-N over m distinct candidates from above, tightly for large m', () => {
    for (const n of [2, 4, 16]) {
      for (const m of [10, 100]) expect(exactBestOfNKL(n, m)).toBeLessThanOrEqual(bestOfNKLBound(n) + 1e-12);
      expect(exactBestOfNKL(n, 20000)).toBeCloseTo(bestOfNKLBound(n), 3);
    }
  });
});

describe('bestOfNIndices', () => {
  it('picks the first best of the first n candidates of each group, nested across n', () => {
    const scores = [0.1, 0.5, 0.5, 0.9, /* group 2 */ 2, 1, 0, 3];
    expect(bestOfNIndices(scores, 4, 1)).toEqual([0, 4]);
    expect(bestOfNIndices(scores, 4, 3)).toEqual([1, 4]); // tie at 0.5: the earlier
    expect(bestOfNIndices(scores, 4, 4)).toEqual([3, 7]);
    expect(() => bestOfNIndices(scores, 3, 2)).toThrow(RangeError);
  });
});
