import { InvalidArgumentError } from '@dpo-ts/core';
import { SamplingWorkerPool } from '@dpo-ts/core/parallel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolvePPOConfig } from './ppo-config.js';
import type { RewardFunction } from './reward-source.js';
import { grpoRun, numbers, tinyGPT } from './sampling-workers.test-helper.js';
import { DEFAULT_SAMPLING_WORKERS, resolveSamplingWorkersArgument, rolloutWorkerCount } from './sampling-workers.js';

describe('samplingWorkers', () => {
  afterEach(() => vi.restoreAllMocks());

  it('defaults to 1 and is validated at the config boundary, naming config.samplingWorkers', () => {
    expect(DEFAULT_SAMPLING_WORKERS).toBe(1);
    expect(resolveSamplingWorkersArgument({})).toBe(1);
    expect(resolveSamplingWorkersArgument({ samplingWorkers: 'auto' })).toBe('auto');
    expect(resolvePPOConfig({ totalSteps: 1 }).samplingWorkers).toBe(1);
    expect(() => resolvePPOConfig({ totalSteps: 1, samplingWorkers: 0 })).toThrow(
      "config.samplingWorkers must be an integer >= 1 or 'auto': got 0",
    );
    expect(() => resolvePPOConfig({ totalSteps: 1, samplingWorkers: 1.5 })).toThrow(InvalidArgumentError);
  });

  it("resolves to at most one worker per 8-row task, and 'auto' to 1 for a model under 100k values", () => {
    const model = tinyGPT();
    expect(rolloutWorkerCount(model, 4, 24)).toBe(3); // ceil(24 / 8) tasks
    expect(rolloutWorkerCount(model, 4, 8)).toBe(1);
    expect(rolloutWorkerCount(model, 'auto', 64)).toBe(1); // the tiny model stays on the main thread
    model.dispose();
  });

  it('keeps the single-thread run with samplingWorkers 1 (no pool, same numbers as the default)', async () => {
    const create = vi.spyOn(SamplingWorkerPool, 'create');
    const runs = [];
    for (const workers of [undefined, 1]) {
      const { model, trainer } = await grpoRun(workers);
      runs.push(numbers(await trainer.train()));
      trainer.dispose();
      model.dispose();
    }
    expect(create).not.toHaveBeenCalled();
    expect(runs[1]).toEqual(runs[0]);
  });

  it('closes the pool when a step throws', async () => {
    const create = vi.spyOn(SamplingWorkerPool, 'create');
    const failing: RewardFunction = () => {
      throw new Error('reward down');
    };
    const { model, trainer } = await grpoRun(2, failing);
    await expect(trainer.train()).rejects.toThrow('reward down');
    const pool = await (create.mock.results[0]!.value as ReturnType<typeof SamplingWorkerPool.create>);
    await expect(pool.sample([{}])).rejects.toThrow('SamplingWorkerPool is closed');
    trainer.dispose();
    model.dispose();
  });
});
