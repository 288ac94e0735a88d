import { describe, expect, it } from 'vitest';
import { resolveWorkerCount } from '../parallel/worker-count.js';
import { engineWorkers, resolveWorkers } from './parallel-training-arguments.js';

describe('resolveWorkers', () => {
  it("takes an integer >= 1 or 'auto', 'auto' by default", () => {
    expect(resolveWorkers({})).toBe('auto');
    expect(resolveWorkers({ workers: 3 })).toBe(3);
    expect(resolveWorkers({ workers: 'auto' })).toBe('auto');
  });

  it('names the field, what it accepts and what it got', () => {
    expect(() => resolveWorkers({ workers: 0 })).toThrow("config.workers must be an integer >= 1 or 'auto': got 0");
    expect(() => resolveWorkers({ workers: 1.5 })).toThrow('got 1.5');
    expect(() => resolveWorkers({ workers: 'all' as never })).toThrow('config.workers');
  });

  it("maps 'auto' to the machine's cores, capped by the micro-batches per step", () => {
    expect(resolveWorkerCount(engineWorkers('auto'), 3, 8)).toBe(3);
    expect(resolveWorkerCount(engineWorkers('auto'), 8, 2)).toBe(2);
    expect(resolveWorkerCount(engineWorkers(2), 8, 16)).toBe(2);
  });
});
