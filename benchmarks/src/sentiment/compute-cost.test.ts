import { describe, expect, it } from 'vitest';
import { addCosts, estimateFlops, ZERO_COST } from './compute-cost.js';

describe('estimateFlops', () => {
  it('counts 2N per forward token, 4N more per backward token and 2N per sampled token', () => {
    const cost = { ...ZERO_COST, forwardSequences: 3, backwardSequences: 2, sampledTokens: 5 };
    // 10 parameters, 4 tokens a row: 10 * (2*3*4 + 4*2*4 + 2*5) = 10 * (24 + 32 + 10) = 660
    expect(estimateFlops(cost, 10, 4)).toBe(660);
    expect(estimateFlops(addCosts(cost, cost), 10, 4)).toBe(1320);
  });
});
