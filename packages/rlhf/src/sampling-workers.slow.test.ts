import * as tf from '@tensorflow/tfjs-core';
import { SamplingWorkerPool } from '@dpo-ts/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { grpoRun, numbers } from './sampling-workers.test-helper.js';

describe('samplingWorkers (worker threads, end to end)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('samples the same GRPO run with 2 or 3 workers, opens one pool per train() and closes it', async () => {
    const create = vi.spyOn(SamplingWorkerPool, 'create');
    const runs = [];
    for (const workers of [2, 3]) {
      const { model, trainer } = await grpoRun(workers);
      const before = tf.memory().numTensors;
      const result = await trainer.train();
      expect(tf.memory().numTensors).toBe(before);
      runs.push(numbers(result));
      trainer.dispose();
      model.dispose();
    }
    expect(create).toHaveBeenCalledTimes(2); // one pool per run, for every rollout and evaluation
    expect(create.mock.calls.map(([options]) => options.workers)).toEqual([2, 3]);
    for (const { value } of create.mock.results) {
      const pool = await (value as ReturnType<typeof SamplingWorkerPool.create>);
      await expect(pool.sample([{}])).rejects.toThrow('SamplingWorkerPool is closed');
    }
    expect(runs[0]).toHaveLength(4); // 2 steps + 2 evaluations
    expect(runs[1]).toEqual(runs[0]);
  });
});
