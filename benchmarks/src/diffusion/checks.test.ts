import { describe, expect, it } from 'vitest';
import type { MethodMeasurement } from './aggregate.js';
import { comparisonFailures } from './checks.js';

const compute = {
  trainSeconds: 1,
  pairSeconds: 1,
  imagesSampled: 1,
  optimizerSteps: 1,
  batchSize: 1,
  forwardPasses: 1,
  backwardPasses: 1,
};
const good: MethodMeasurement = {
  reward: 'jpeg-compressibility',
  seed: 0,
  method: 'ddpo',
  meanReward: -1.2,
  baseMeanReward: -1.21,
  winRate: 0.8,
  winRateStandardError: 0.01,
  digitAccuracy: 0.84,
  baseDigitAccuracy: 0.85,
  compute,
  details: {},
};

describe('comparisonFailures', () => {
  it('passes a clean run', () => {
    expect(comparisonFailures([good], 10, 10)).toEqual([]);
  });

  it('reports leaked tensors, non-finite rewards and rates out of range', () => {
    const failures = comparisonFailures([{ ...good, meanReward: Number.NaN, winRate: 1.5 }], 10, 13);
    expect(failures).toEqual([
      'tensor leak: 3 tensors left after the run (10 before, 13 after)',
      'jpeg-compressibility seed 0 ddpo: meanReward is NaN',
      'jpeg-compressibility seed 0 ddpo: winRate must be in [0, 1]: got 1.5',
    ]);
  });
});
