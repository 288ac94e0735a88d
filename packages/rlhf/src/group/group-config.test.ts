import { describe, expect, it } from 'vitest';
import { resolveGRPOConfig } from './grpo-config.js';
import { resolveRLOOConfig } from './rloo-config.js';

describe('GRPO and RLOO configs', () => {
  it("fill TRL's defaults", () => {
    const grpo = resolveGRPOConfig({ totalSteps: 3 });
    expect(grpo).toMatchObject({
      numGenerations: 8,
      beta: 0,
      epsilon: 0.2,
      epsilonHigh: 0.2,
      scaleRewards: 'group',
      lossType: 'dapo',
      numIterations: 1,
      maxCompletionLength: 256,
      temperature: 1,
      learningRate: 1e-6,
      generationBatchSize: 8,
      promptsPerStep: 1,
    });
    const rloo = resolveRLOOConfig({ totalSteps: 3, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 3 });
    expect(rloo).toMatchObject({
      numGenerations: 2,
      beta: 0.05,
      normalizeAdvantages: false,
      generationBatchSize: 12,
      promptsPerStep: 6,
    });
    expect(resolveGRPOConfig({ totalSteps: 1, epsilon: 0.1, epsilonHigh: 0.28 }).epsilonHigh).toBe(0.28);
  });

  it('refuse fields of the other trainer and bad values, naming them', () => {
    expect(() => resolveRLOOConfig({ totalSteps: 1, lossType: 'grpo' } as never)).toThrow(
      /config.lossType must be absent/,
    );
    expect(() => resolveGRPOConfig({ totalSteps: 1, normalizeAdvantages: true } as never)).toThrow(
      /normalizeAdvantages/,
    );
    expect(() => resolveGRPOConfig({ totalSteps: 1, scaleRewards: 'std' as never })).toThrow(/config.scaleRewards/);
    expect(() => resolveGRPOConfig({ totalSteps: 1, beta: -1 })).toThrow(/config.beta/);
    expect(() => resolveGRPOConfig({ totalSteps: 1, numIterations: 0 })).toThrow(/config.numIterations/);
  });
});
