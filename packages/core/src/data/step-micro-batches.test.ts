import { describe, expect, it } from 'vitest';
import { epochBatches } from './epoch-batches.js';
import { epochsCompleted, stepMicroBatches } from './step-micro-batches.js';

describe('stepMicroBatches', () => {
  const options = { batchSize: 3, gradientAccumulationSteps: 2, seed: 7 };

  it('gives step i micro-batches 2i and 2i + 1 of epochBatches, with their epochs', () => {
    // 10 examples: 4 micro-batches per epoch (3, 3, 3, 1), i.e. 2 steps per epoch.
    const reference = [
      ...epochBatches(
        Array.from({ length: 10 }, (_, i) => i),
        { batchSize: 3, seed: 7, epochs: 2 },
      ),
    ];
    const steps = [0, 1, 2, 3].map((step) => stepMicroBatches(10, options, step));
    expect(steps.flat().map((b) => b.indices)).toEqual(reference.map((b) => b.items));
    expect(steps.flat().map((b) => b.epoch)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(steps[1]!.map((b) => b.indices.length)).toEqual([3, 1]);
    expect([...steps[0]!, ...steps[1]!].flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('depends only on the step and the seed', () => {
    expect(stepMicroBatches(10, options, 5)).toEqual(stepMicroBatches(10, options, 5));
    expect(stepMicroBatches(10, { ...options, seed: 8 }, 0)).not.toEqual(stepMicroBatches(10, options, 0));
    expect(() => stepMicroBatches(10, options, -1)).toThrow('stepIndex must be an integer >= 0: got -1');
  });
});

describe('epochsCompleted', () => {
  it('counts micro-batches consumed over micro-batches per epoch', () => {
    expect(epochsCompleted(10, { batchSize: 3, gradientAccumulationSteps: 2, seed: 0 }, 2)).toBe(1); // 4 of 4
    expect(epochsCompleted(10, { batchSize: 3, gradientAccumulationSteps: 2, seed: 0 }, 3)).toBe(1.5); // 6 of 4
    expect(epochsCompleted(8, { batchSize: 4, gradientAccumulationSteps: 1, seed: 0 }, 1)).toBe(0.5);
  });
});
