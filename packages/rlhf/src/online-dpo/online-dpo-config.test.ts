import { describe, expect, it } from 'vitest';
import { resolveOnlineDPOConfig } from './online-dpo-config.js';

describe('resolveOnlineDPOConfig', () => {
  it("fills TRL's defaults and resolves the loss through core", () => {
    const config = resolveOnlineDPOConfig({ totalSteps: 2 });
    expect(config).toMatchObject({
      perDeviceTrainBatchSize: 8,
      promptsPerStep: 8,
      maxNewTokens: 64,
      temperature: 0.9,
      learningRate: 5e-7,
      missingEosPenalty: undefined,
    });
    expect(config.loss).toMatchObject({ beta: 0.1, lossType: ['sigmoid'], lossWeights: [1] });
    const mixed = resolveOnlineDPOConfig({
      totalSteps: 2,
      lossType: ['sigmoid', 'sft'],
      lossWeights: [1, 0.5],
      beta: 0.3,
    });
    expect(mixed.loss).toMatchObject({ beta: 0.3, lossType: ['sigmoid', 'sft'], lossWeights: [1, 0.5] });
  });

  it('names bad and unknown fields', () => {
    expect(() => resolveOnlineDPOConfig({ totalSteps: 2, missingEosPenalty: -1 })).toThrow(/config.missingEosPenalty/);
    expect(() => resolveOnlineDPOConfig({ totalSteps: 2, lossType: 'ipo', beta: 0 })).toThrow(/beta/);
    expect(() => resolveOnlineDPOConfig({ totalSteps: 2, judge: 'x' } as never)).toThrow(/config.judge must be absent/);
  });
});
