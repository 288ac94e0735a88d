import { describe, expect, it } from 'vitest';
import { AUTO_WORKERS_MIN_PARAMETERS, resolveWorkerCount, trainableParameterCount } from './worker-count.js';

describe('resolveWorkerCount', () => {
  it('defaults to the cores, capped by the micro-batches per step', () => {
    expect(resolveWorkerCount(undefined, 8, 2)).toBe(2);
    expect(resolveWorkerCount(undefined, 3, 16)).toBe(3);
    expect(resolveWorkerCount(undefined, 1, 16)).toBe(1);
  });

  it('takes an explicit count, still capped, and 1 as "no workers"', () => {
    expect(resolveWorkerCount(1, 8, 16)).toBe(1);
    expect(resolveWorkerCount(4, 8, 2)).toBe(4);
    expect(resolveWorkerCount(4, 2, 16)).toBe(2);
  });

  it("keeps 'auto' on the main thread for a model under AUTO_WORKERS_MIN_PARAMETERS, not an explicit count", () => {
    expect(resolveWorkerCount(undefined, 8, 2, AUTO_WORKERS_MIN_PARAMETERS - 1)).toBe(1);
    expect(resolveWorkerCount(undefined, 8, 2, AUTO_WORKERS_MIN_PARAMETERS)).toBe(2);
    expect(resolveWorkerCount(2, 8, 2, 10)).toBe(2);
  });

  it('counts trainable parameters only', () => {
    const variables = new Map([
      ['a', { trainable: true, size: 6 }],
      ['b', { trainable: false, size: 100 }],
      ['c', { trainable: true, size: 4 }],
    ]);
    expect(trainableParameterCount(variables)).toBe(10);
  });

  it('names the argument on a bad value', () => {
    expect(() => resolveWorkerCount(0, 4)).toThrow('workers must be an integer >= 1: got 0');
    expect(() => resolveWorkerCount(1.5, 4)).toThrow('workers must be an integer');
    expect(() => resolveWorkerCount(2, 0)).toThrow('microBatchesPerStep must be an integer >= 1: got 0');
  });
});
