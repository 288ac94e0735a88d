import { InvalidArgumentError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { describe, expect, it } from 'vitest';
import { resolveSamplingOptions, sampleToken, type SamplingOptions } from './sampling.js';

const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)]; // probabilities 0.5, 0.3, 0.2
const frequencies = (row: number[], options: SamplingOptions, draws = 4000, seed = 1): number[] => {
  const rng = new Rng(seed);
  const counts = new Array<number>(row.length).fill(0);
  const resolved = resolveSamplingOptions(options);
  for (let i = 0; i < draws; i++) counts[sampleToken(row, resolved, rng).token]!++;
  return counts.map((c) => c / draws);
};

describe('sampleToken', () => {
  it('is greedy at temperature 0, ties to the lowest id, with the temperature-1 log-prob', () => {
    const greedy = resolveSamplingOptions({ temperature: 0 });
    expect(sampleToken([1, 3, 3, 0], greedy, new Rng(0))).toEqual({
      token: 1,
      logProb: expect.closeTo(3 - Math.log(Math.exp(1) + 2 * Math.exp(3) + 1), 12),
    });
  });

  it('samples softmax(logits / temperature)', () => {
    const observed = frequencies(logits, { temperature: 1 });
    [0.5, 0.3, 0.2].forEach((p, i) => {
      expect(observed[i]).toBeCloseTo(p, 1);
    });
    // Temperature 0.5 squares the probabilities: 0.25, 0.09, 0.04 over 0.38.
    const sharp = frequencies(logits, { temperature: 0.5 });
    [0.25, 0.09, 0.04].forEach((p, i) => {
      expect(sharp[i]).toBeCloseTo(p / 0.38, 1);
    });
  });

  it('top-k = 1 equals greedy; top-k keeps only the k most likely', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) {
      const row = Array.from({ length: 7 }, () => rng.normal());
      const greedy = sampleToken(row, resolveSamplingOptions({ temperature: 0 }), rng);
      expect(sampleToken(row, resolveSamplingOptions({ topK: 1 }), rng)).toEqual(greedy);
    }
    const observed = frequencies(logits, { topK: 2 });
    expect(observed[2]).toBe(0);
    expect(observed[0]).toBeCloseTo(0.5 / 0.8, 1);
  });

  it('top-p keeps the smallest set reaching p, at least one token', () => {
    expect(frequencies(logits, { topP: 0.5 })).toEqual([1, 0, 0]); // 0.5 alone reaches 0.5
    expect(frequencies(logits, { topP: 1e-9 })).toEqual([1, 0, 0]); // tiny p: the top token
    const twoTokens = frequencies(logits, { topP: 0.8 }); // 0.5 + 0.3 reaches 0.8
    expect(twoTokens[2]).toBe(0);
    expect(twoTokens[0]).toBeCloseTo(0.625, 1);
    expect(frequencies(logits, { topP: 0.81 })[2]).toBeGreaterThan(0); // needs the third
    // topP 1 is no filter: identical draws to the default.
    expect(frequencies(logits, { topP: 1 }, 500, 9)).toEqual(frequencies(logits, {}, 500, 9));
    // top-p applies after top-k, on the renormalised kept set: 0.5/0.8 = 0.625 >= 0.6.
    expect(frequencies(logits, { topK: 2, topP: 0.6 })).toEqual([1, 0, 0]);
  });

  it('reports the unfiltered log-prob and is deterministic for a generator state', () => {
    const resolved = resolveSamplingOptions({ temperature: 2, topK: 1 });
    const { token, logProb } = sampleToken(logits, resolved, new Rng(3));
    const z = logits.map((v) => v / 2);
    expect(token).toBe(0);
    expect(logProb).toBeCloseTo(z[0]! - Math.log(z.reduce((s, v) => s + Math.exp(v), 0)), 12);
    const draws = (seed: number): number[] => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => sampleToken(logits, resolveSamplingOptions(), rng).token);
    };
    expect(draws(4)).toEqual(draws(4));
    expect(draws(4)).not.toEqual(draws(5));
  });

  it('validates options and logits', () => {
    expect(() => resolveSamplingOptions({ topP: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveSamplingOptions({ topK: 1.5 })).toThrow(/topK/);
    expect(() => resolveSamplingOptions({ temperature: -1 })).toThrow(/temperature/);
    expect(() => sampleToken([0, NaN], resolveSamplingOptions(), new Rng(0))).toThrow(/logits\[1\]/);
  });
});
