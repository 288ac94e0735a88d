import * as tf from '@tensorflow/tfjs-core';
import { SamplingWorkerPool } from '@dpo-ts/core/parallel';
import { MLPDenoiser, NoiseSchedule, type ImageReward } from '@dpo-ts/diffusion';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DDPOTrainer } from './ddpo/ddpo-trainer.js';
import { PPOTrainer } from './ppo-trainer.js';
import { countA, grpoRun, numbers, prompts, tinyGPT, tokenizer } from './sampling-workers.test-helper.js';

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

  it('samples the same DDPO run on the main thread and on 2 workers (the same seeded sampler calls)', async () => {
    const create = vi.spyOn(SamplingWorkerPool, 'create');
    const brightness: ImageReward = (image) => {
      const data = (image as { data: Float32Array }).data;
      return data.reduce((a, b) => a + b, 0) / data.length;
    };
    const runs = [];
    for (const samplingWorkers of [1, 2]) {
      const model = new MLPDenoiser({
        imageShape: [4, 4, 1],
        numClasses: 3,
        hiddenSize: 16,
        numLayers: 1,
        timeEmbeddingDim: 8,
        zeroInitOutput: false,
        seed: 3,
      });
      const trainer = await DDPOTrainer.create({
        model,
        schedule: new NoiseSchedule({ numTimesteps: 100 }),
        reward: brightness,
        trainDataset: [0, 1, 2].map((prompt) => ({ prompt })),
        evalDataset: [0, 1, 2, 0, 1, 2, 0, 1].map((prompt) => ({ prompt })),
        config: {
          totalSteps: 2,
          samplesPerStep: 8,
          sampleBatchSize: 4,
          numSteps: 4,
          trainBatchSize: 4,
          samplingWorkers,
        },
      });
      const before = tf.memory().numTensors;
      const result = await trainer.train({ evalEvery: 1 });
      expect(tf.memory().numTensors).toBe(before);
      runs.push({
        metrics: numbers(result),
        weights: Array.from(model.namedVariables().values(), (v) => v.dataSync()),
      });
      trainer.dispose();
      model.dispose();
    }
    expect(create.mock.calls.map(([options]) => options.workers)).toEqual([2]); // 1: no pool
    const pool = await (create.mock.results[0]!.value as ReturnType<typeof SamplingWorkerPool.create>);
    await expect(pool.sample([{}])).rejects.toThrow('SamplingWorkerPool is closed');
    expect(runs[0]!.metrics).toHaveLength(4);
    expect(runs[1]!.metrics).toEqual(runs[0]!.metrics);
    expect(runs[1]!.weights).toEqual(runs[0]!.weights);
  });

  it('samples the same PPO run (rollouts and evaluation) with 2 or 3 workers and closes the pool', async () => {
    const create = vi.spyOn(SamplingWorkerPool, 'create');
    const runs = [];
    for (const samplingWorkers of [2, 3]) {
      const policy = tinyGPT();
      const trainer = await PPOTrainer.create({
        model: policy,
        tokenizer,
        trainDataset: [...prompts, ...prompts, ...prompts], // 24 prompts per update
        evalDataset: prompts.slice(0, 3),
        reward: countA,
        config: { totalSteps: 2, batchSize: 24, numMiniBatches: 2, responseLength: 5, evalSteps: 1, samplingWorkers },
      });
      const before = tf.memory().numTensors;
      const result = await trainer.train({ progress: false });
      expect(tf.memory().numTensors).toBe(before);
      runs.push(numbers(result));
      trainer.dispose();
      policy.dispose();
    }
    expect(create.mock.calls.map(([options]) => options.workers)).toEqual([2, 3]);
    for (const { value } of create.mock.results) {
      const pool = await (value as ReturnType<typeof SamplingWorkerPool.create>);
      await expect(pool.sample([{}])).rejects.toThrow('SamplingWorkerPool is closed');
    }
    expect(runs[0]).toHaveLength(4);
    expect(runs[1]).toEqual(runs[0]);
  });
});
