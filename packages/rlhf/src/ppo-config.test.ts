import { describe, expect, it } from 'vitest';
import { DEFAULT_PPO_CONFIG, resolvePPOConfig } from './ppo-config.js';

describe('resolvePPOConfig', () => {
  it('fills TRL defaults and derives the minibatch sizes', () => {
    const config = resolvePPOConfig({ totalSteps: 10, batchSize: 16, numMiniBatches: 2, gradientAccumulationSteps: 4 });
    expect(config).toMatchObject({
      ...DEFAULT_PPO_CONFIG,
      totalSteps: 10,
      batchSize: 16,
      numMiniBatches: 2,
      gradientAccumulationSteps: 4,
      miniBatchSize: 8,
      microBatchSize: 2,
    });
    expect([
      config.klCoef,
      config.klEstimator,
      config.cliprange,
      config.cliprangeValue,
      config.vfCoef,
      config.gamma,
      config.lam,
      config.numPpoEpochs,
      config.temperature,
      config.responseLength,
    ]).toEqual([0.05, 'k1', 0.2, 0.2, 0.1, 1, 0.95, 4, 0.7, 53]);
    expect(config.missingEosPenalty).toBeUndefined();
    expect(config.workers).toBe('auto');
    expect(resolvePPOConfig({ totalSteps: 1, workers: 2 }).workers).toBe(2);
  });

  it('names the offending field', () => {
    expect(() => resolvePPOConfig({ totalSteps: 1, batchSize: 8, numMiniBatches: 3 })).toThrow(
      /config.batchSize must be divisible by numMiniBatches \* gradientAccumulationSteps = 3: got 8/,
    );
    expect(() => resolvePPOConfig({ totalSteps: 1, batchSize: 4, whitenRewards: true })).toThrow(
      /config.whitenRewards/,
    );
    expect(() => resolvePPOConfig({ totalSteps: 1, klEstimator: 'k2' as never })).toThrow(/config.klEstimator/);
    expect(() => resolvePPOConfig({ totalSteps: 1, gamma: 2 })).toThrow(/config.gamma/);
    expect(() => resolvePPOConfig({ totalSteps: 1, workers: 0 })).toThrow(
      "config.workers must be an integer >= 1 or 'auto': got 0",
    );
    expect(() => resolvePPOConfig({ totalSteps: 1, cliprang: 0.1 } as never)).toThrow(/config.cliprang/);
    expect(() => resolvePPOConfig({ totalSteps: 0 })).toThrow(/config.totalSteps/);
  });
});
