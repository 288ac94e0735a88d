import { describe, expect, it } from 'vitest';
import { epochsCompleted, stepBatchIndices, stepSeed } from './step-schedule.js';

describe('stepBatchIndices', () => {
  const options = { batchSize: 3, gradientAccumulationSteps: 2, seed: 7 };

  it('gives each step its consecutive micro-batches; one epoch covers every example once', () => {
    // 10 examples: 4 micro-batches per epoch (3, 3, 3, 1), i.e. 2 steps.
    const epoch = [...stepBatchIndices(10, options, 0), ...stepBatchIndices(10, options, 1)];
    expect(epoch.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(epoch.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epochsCompleted(10, options, 2)).toBe(1);
  });

  it('depends only on the step and the seed', () => {
    expect(stepBatchIndices(10, options, 5)).toEqual(stepBatchIndices(10, options, 5));
    expect(stepBatchIndices(10, options, 2)).not.toEqual(stepBatchIndices(10, options, 0)); // next epoch, reshuffled
    expect(stepBatchIndices(10, { ...options, seed: 8 }, 0)).not.toEqual(stepBatchIndices(10, options, 0));
  });
});

describe('stepSeed', () => {
  it('is a deterministic 32-bit seed that differs across steps and seeds', () => {
    const seeds = Array.from({ length: 100 }, (_, step) => stepSeed(42, step));
    expect(new Set(seeds).size).toBe(100);
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
    expect(stepSeed(42, 3)).toBe(seeds[3]);
    expect(stepSeed(43, 3)).not.toBe(seeds[3]);
  });
});
