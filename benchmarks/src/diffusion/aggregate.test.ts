import { describe, expect, it } from 'vitest';
import {
  labelAccuracy,
  pairedWinRate,
  spread,
  summarizeMethods,
  winRateUncertainty,
  type MethodMeasurement,
} from './aggregate.js';

const compute = {
  trainSeconds: 10,
  pairSeconds: 2,
  imagesSampled: 100,
  optimizerSteps: 5,
  batchSize: 16,
  forwardPasses: 1,
  backwardPasses: 1,
};

function measurement(
  method: string,
  seed: number,
  meanReward: number,
  winRate: number,
  digitAccuracy: number,
): MethodMeasurement {
  return {
    reward: 'jpeg-compressibility',
    seed,
    method,
    meanReward,
    baseMeanReward: -1.2,
    winRate,
    winRateStandardError: 0.02,
    digitAccuracy,
    baseDigitAccuracy: 0.8,
    compute,
    details: {},
  };
}

describe('spread', () => {
  it('mean, sample sd, range', () => {
    const s = spread([1, 2, 3, 6]);
    expect(s.mean).toBe(3);
    expect(s.sd).toBeCloseTo(Math.sqrt(14 / 3), 12); // squares 4 + 1 + 0 + 9 = 14 over n - 1
    expect([s.min, s.max, s.n]).toEqual([1, 6, 4]);
  });

  it('one value has sd 0; none is NaN', () => {
    expect(spread([0.7])).toEqual({ mean: 0.7, sd: 0, min: 0.7, max: 0.7, n: 1 });
    expect(spread([]).mean).toBeNaN();
  });
});

describe('pairedWinRate', () => {
  it('counts wins 1, ties 1/2, losses 0, with the standard error of the scores', () => {
    // scores 1, 0.5, 0, 1: mean 0.625; population variance (0.140625 + 0.015625 + 0.390625 + 0.140625) / 4 = 0.171875
    const { winRate, standardError } = pairedWinRate([2, 1, 0, 5], [1, 1, 1, 4]);
    expect(winRate).toBe(0.625);
    expect(standardError).toBeCloseTo(Math.sqrt(0.171875 / 4), 12);
  });

  it('all wins: 1 with no error; rejects mismatched lengths', () => {
    expect(pairedWinRate([1, 1], [0, 0])).toEqual({ winRate: 1, standardError: 0 });
    expect(() => pairedWinRate([1], [0, 0])).toThrow('one length');
    expect(() => pairedWinRate([], [])).toThrow('non-empty');
  });
});

describe('labelAccuracy', () => {
  it('is the fraction of matching labels', () => {
    expect(labelAccuracy(Int32Array.from([1, 2, 3, 4]), [1, 2, 0, 0])).toBe(0.5);
    expect(() => labelAccuracy([1], [1, 2])).toThrow('one length');
  });
});

describe('summarizeMethods', () => {
  it('groups by reward and method in order of appearance and measures gains against the base', () => {
    const summaries = summarizeMethods([
      measurement('dpo', 0, -1.1, 0.7, 0.82),
      measurement('sft', 0, -1.0, 0.9, 0.7),
      measurement('dpo', 1, -1.15, 0.6, 0.78),
    ]);
    expect(summaries.map((s) => s.method)).toEqual(['dpo', 'sft']);
    const dpo = summaries[0]!;
    expect(dpo.seeds).toEqual([0, 1]);
    expect(dpo.rewardGain.mean).toBeCloseTo(0.075, 12); // (0.1 + 0.05) / 2
    expect(dpo.winRate.mean).toBeCloseTo(0.65, 12);
    expect(dpo.winRate.sd).toBeCloseTo(Math.sqrt(0.005), 12); // deviations ±0.05, (0.0025 * 2) / 1
    expect(dpo.accuracyChange.mean).toBeCloseTo(0, 12); // +0.02 and -0.02
    expect(dpo.baseDigitAccuracy).toBe(0.8);
    expect(summaries[1]!.accuracyChange.mean).toBeCloseTo(-0.1, 12);
  });
});

describe('winRateUncertainty', () => {
  it('is the within-seed standard error for one seed, the standard error over seeds otherwise', () => {
    const one = summarizeMethods([measurement('dpo', 0, -1.1, 0.7, 0.8)])[0]!;
    expect(winRateUncertainty(one)).toBe(0.02);
    const two = summarizeMethods([measurement('dpo', 0, -1.1, 0.7, 0.8), measurement('dpo', 1, -1.1, 0.5, 0.8)])[0]!;
    expect(winRateUncertainty(two)).toBeCloseTo(Math.sqrt(0.02) / Math.sqrt(2), 12); // sd over seeds sqrt(0.02) exceeds 0.02
  });
});
