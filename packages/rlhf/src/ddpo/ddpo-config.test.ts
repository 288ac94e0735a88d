import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DDPO_CONFIG, resolveDDPOConfig, type DDPOConfig } from './ddpo-config.js';

// Every field set: a field added to DDPOConfig fails to compile here until listed, and fails the
// test below until resolveDDPOConfig knows it.
const EVERY_FIELD: Required<DDPOConfig> = {
  totalSteps: 3,
  samplesPerStep: 8,
  sampleBatchSize: 4,
  numSteps: 10,
  eta: 0.5,
  guidanceScale: 2,
  trainBatchSize: 4,
  numInnerEpochs: 2,
  timestepFraction: 0.5,
  clipRange: 0.2,
  advClipMax: 3,
  perPromptStatTracking: { bufferSize: 8, minCount: 2 },
  klCoef: 0.1,
  klEstimator: 'k1',
  learningRate: 1e-4,
  lrSchedule: 'cosine',
  warmupSteps: 1,
  weightDecay: 0,
  adamBeta1: 0.8,
  adamBeta2: 0.99,
  adamEpsilon: 1e-6,
  maxGradNorm: 2,
  seed: 7,
  samplingWorkers: 2,
  workers: 2,
};

describe('resolveDDPOConfig', () => {
  it("defaults to ddpo-pytorch's config/base.py", () => {
    const config = resolveDDPOConfig({ totalSteps: 3 });
    expect(config).toMatchObject({
      numSteps: 50,
      eta: 1,
      guidanceScale: 5,
      learningRate: 3e-4,
      weightDecay: 1e-4,
      adamEpsilon: 1e-8,
      maxGradNorm: 1,
      numInnerEpochs: 1,
      clipRange: 1e-4,
      advClipMax: 5,
      timestepFraction: 1,
      numTrainTimesteps: 50,
      perPromptStatTracking: { bufferSize: 16, minCount: 16 },
      klCoef: 0,
      seed: 42,
    });
    expect(DEFAULT_DDPO_CONFIG.clipRange).toBe(1e-4);
  });

  it('derives the trained timesteps and validates with named messages', () => {
    expect(resolveDDPOConfig({ totalSteps: 1, numSteps: 10, timestepFraction: 0.55 }).numTrainTimesteps).toBe(5);
    expect(resolveDDPOConfig({ totalSteps: 1, perPromptStatTracking: false }).perPromptStatTracking).toBe(false);
    expect(() => resolveDDPOConfig({ totalSteps: 1, samplesPerStep: 10, trainBatchSize: 4 })).toThrow(
      'config.samplesPerStep must be a multiple of trainBatchSize (4): got 10',
    );
    expect(() => resolveDDPOConfig({ totalSteps: 1, eta: 0 })).toThrow('config.eta');
    expect(() => resolveDDPOConfig({ totalSteps: 0 })).toThrow('config.totalSteps');
  });

  it('accepts every DDPOConfig field and refuses unknown (misspelt) ones, naming them', () => {
    expect(resolveDDPOConfig(EVERY_FIELD)).toMatchObject({
      numTrainTimesteps: 5,
      perPromptStatTracking: { bufferSize: 8, minCount: 2 },
      klEstimator: 'k1',
    });
    const misspelt = { totalSteps: 1, lerningRate: 1e-4 } as DDPOConfig;
    expect(() => resolveDDPOConfig(misspelt)).toThrow(InvalidArgumentError);
    expect(() => resolveDDPOConfig(misspelt)).toThrow(
      /^config\.lerningRate must be absent \(known fields: totalSteps, .*\): got 0\.0001$/,
    );
    // DDPO warms up in optimiser updates only: warmupRatio was silently dropped before.
    expect(() => resolveDDPOConfig({ totalSteps: 1, warmupRatio: 0.1 } as DDPOConfig)).toThrow(
      'config.warmupRatio must be absent',
    );
    expect(() =>
      resolveDDPOConfig({ totalSteps: 1, perPromptStatTracking: { bufferSize: 8, minCnt: 2 } as never }),
    ).toThrow('config.perPromptStatTracking.minCnt must be absent (known fields: bufferSize, minCount): got 2');
  });
});
