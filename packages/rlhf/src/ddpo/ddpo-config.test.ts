import { describe, expect, it } from 'vitest';
import { DEFAULT_DDPO_CONFIG, resolveDDPOConfig } from './ddpo-config.js';

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
    expect(() => resolveDDPOConfig({ totalSteps: 1, samplesPerStep: 10, trainBatchSize: 4 })).toThrow('config.samplesPerStep must be a multiple of trainBatchSize (4): got 10');
    expect(() => resolveDDPOConfig({ totalSteps: 1, eta: 0 })).toThrow('config.eta');
    expect(() => resolveDDPOConfig({ totalSteps: 0 })).toThrow('config.totalSteps');
  });
});
