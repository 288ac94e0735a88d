import { expectClose } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { ADVANTAGE_STD_EPSILON, grpoAdvantages, rlooAdvantages, unbiasedStd } from './group-advantages.js';

describe('rlooAdvantages', () => {
  it('subtracts the mean of the other completions of the same prompt', () => {
    // Group 1: [1, 2, 6]: baselines (2+6)/2 = 4, (1+6)/2 = 3.5, (1+2)/2 = 1.5.
    // Group 2: [0, 0, 3]: baselines 1.5, 1.5, 0.
    const { advantages, meanGroupStd, fractionZeroStd } = rlooAdvantages([1, 2, 6, 0, 0, 3], 3);
    expect(advantages).toEqual([-3, -1.5, 4.5, -1.5, -1.5, 3]);
    // std([1, 2, 6]) = sqrt(((−2)^2 + (−1)^2 + 3^2) / 2) = sqrt(7); std([0, 0, 3]) = sqrt(3).
    expect(meanGroupStd).toBeCloseTo((Math.sqrt(7) + Math.sqrt(3)) / 2, 12);
    expect(fractionZeroStd).toBe(0);
  });

  it('gives zero advantage to a group of ties and G/(G-1) (r - mean) otherwise', () => {
    const { advantages, fractionZeroStd } = rlooAdvantages([5, 5, 1, 3], 2);
    expect(advantages).toEqual([0, 0, -2, 2]); // 2/1 * (1 - 2), 2 * (3 - 2)
    expect(fractionZeroStd).toBe(0.5);
  });

  it('standardises over the batch with normalize', () => {
    // Raw [-3, -1.5, 4.5, -1.5, -1.5, 3]: mean 0; unbiased var = (9 + 2.25 + 20.25 + 2.25 + 2.25 + 9) / 5 = 9.
    const { advantages } = rlooAdvantages([1, 2, 6, 0, 0, 3], 3, true);
    const scale = 3 + ADVANTAGE_STD_EPSILON;
    expectClose(
      advantages,
      [-3, -1.5, 4.5, -1.5, -1.5, 3].map((raw) => raw / scale),
      { atol: 1e-12, rtol: 1e-12 },
    );
  });

  it('names the argument on bad input', () => {
    expect(() => rlooAdvantages([1, 2, 3], 2)).toThrow(/rewards.*multiple of groupSize = 2.*3/);
    expect(() => rlooAdvantages([1, 2], 1)).toThrow(/groupSize/);
    expect(() => rlooAdvantages([1, Number.NaN], 2)).toThrow(/rewards\[1\]/);
  });
});

describe('grpoAdvantages', () => {
  it("'group': (r - group mean) / (group std + 1e-4), DeepSeekMath Eq. 3", () => {
    // Group [1, 2, 6]: mean 3, std sqrt(7). Group [0, 0, 3]: mean 1, std sqrt(3).
    const { advantages } = grpoAdvantages([1, 2, 6, 0, 0, 3], 3, 'group');
    const s1 = Math.sqrt(7) + 1e-4;
    const s2 = Math.sqrt(3) + 1e-4;
    const expected = [-2 / s1, -1 / s1, 3 / s1, -1 / s2, -1 / s2, 2 / s2];
    expectClose(advantages, expected, { atol: 1e-12, rtol: 1e-12 });
  });

  it("'batch': divides by the std of the whole batch", () => {
    // Rewards [1, 2, 6, 0, 0, 3]: mean 2, unbiased var = (1 + 0 + 16 + 4 + 4 + 1) / 5 = 5.2.
    const { advantages } = grpoAdvantages([1, 2, 6, 0, 0, 3], 3, 'batch');
    const s = Math.sqrt(5.2) + 1e-4;
    expectClose(
      advantages,
      [-2, -1, 3, -1, -1, 2].map((raw) => raw / s),
      { atol: 1e-12, rtol: 1e-12 },
    );
  });

  it("'none': only centres (Dr. GRPO); ties give zeros, never NaN", () => {
    expect(grpoAdvantages([1, 2, 6, 0, 0, 3], 3, 'none').advantages).toEqual([-2, -1, 3, -1, -1, 2]);
    const ties = grpoAdvantages([4, 4, 4, 4], 2, 'group');
    expect(ties.advantages).toEqual([0, 0, 0, 0]);
    expect(ties.fractionZeroStd).toBe(1);
    expect(ties.meanGroupStd).toBe(0);
  });

  it('refuses an unknown scaleRewards', () => {
    expect(() => grpoAdvantages([1, 2], 2, 'global' as never)).toThrow(/scaleRewards/);
  });
});

describe('unbiasedStd', () => {
  it('uses n - 1', () => {
    expect(unbiasedStd([1, 3])).toBeCloseTo(Math.SQRT2, 12);
    expect(unbiasedStd([7])).toBe(0);
  });
});
