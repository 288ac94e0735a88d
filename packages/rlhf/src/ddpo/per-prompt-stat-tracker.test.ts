import { describe, expect, it } from 'vitest';
import { PerPromptStatTracker, normalizeRewards } from './per-prompt-stat-tracker.js';

describe('PerPromptStatTracker', () => {
  it('normalises per condition once its buffer holds minCount rewards, by the batch before', () => {
    const tracker = new PerPromptStatTracker(3, 2);
    const first = tracker.update([0, 0, 1], [1, 3, 10]);
    // condition 0: buffer [1, 3]: mean 2, population std 1.
    expect(first[0]).toBeCloseTo(-1 / (1 + 1e-6), 6);
    expect(first[1]).toBeCloseTo(1 / (1 + 1e-6), 6);
    // condition 1: buffer [10] < minCount: the batch's mean 14/3 and std of [1, 3, 10].
    const batchStd = Math.sqrt(((1 - 14 / 3) ** 2 + (3 - 14 / 3) ** 2 + (10 - 14 / 3) ** 2) / 3);
    expect(first[2]).toBeCloseTo((10 - 14 / 3) / (batchStd + 1e-6), 5);
    // Buffers persist across steps and keep the newest bufferSize rewards.
    expect(tracker.update([0], [5])[0]).toBeCloseTo((5 - 3) / (Math.sqrt(8 / 3) + 1e-6), 5); // [1, 3, 5]
    expect(tracker.update([0], [7])[0]).toBeCloseTo((7 - 5) / (Math.sqrt(8 / 3) + 1e-6), 5); // [3, 5, 7]
    expect(tracker.stats()['0']).toEqual({ mean: 5, std: Math.sqrt(8 / 3), count: 3 });
  });

  it('gives zero-mean, unit-spread advantages within each condition', () => {
    const tracker = new PerPromptStatTracker(16, 4);
    const conditions = [3, 3, 3, 3, 8, 8, 8, 8];
    const advantages = tracker.update(conditions, [10, 11, 12, 13, -5, -4, 0, 1]);
    for (const c of [3, 8]) {
      const values = Array.from(advantages).filter((_, i) => conditions[i] === c);
      const mean = values.reduce((a, b) => a + b, 0) / 4;
      expect(mean).toBeCloseTo(0, 6);
      expect(Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / 4)).toBeCloseTo(1, 4);
    }
  });

  it('continues identically from its state', () => {
    const tracker = new PerPromptStatTracker(4, 2);
    tracker.update([1, 2, 1], [0.5, 2, 1.5]);
    const copy = PerPromptStatTracker.fromState(JSON.parse(JSON.stringify(tracker.state())));
    expect(Array.from(copy.update([1, 2], [3, 4]))).toEqual(Array.from(tracker.update([1, 2], [3, 4])));
  });

  it('rejects mismatched lengths', () => {
    expect(() => new PerPromptStatTracker().update([1], [1, 2])).toThrow(
      'conditions must be one per reward (2): got 1',
    );
  });
});

describe('normalizeRewards', () => {
  it('standardises over the batch with the population std', () => {
    const out = normalizeRewards([1, 2, 3]);
    const std = Math.sqrt(2 / 3);
    expect(Array.from(out).map((x) => Number(x.toFixed(5)))).toEqual(
      [-1 / std, 0, 1 / std].map((x) => Number(x.toFixed(5))),
    );
  });
});
