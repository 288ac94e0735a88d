import { describe, expect, it } from 'vitest';
import { computeCounts, methodSpecs } from './methods.js';
import { DIFFUSION_COMPARISON_SETTINGS } from './settings.js';

describe('methodSpecs', () => {
  it('one Diffusion-DPO per beta, then DDPO, SFT on winners and the SFT-on-losers control', () => {
    expect(methodSpecs({ betas: [2500, 5000] }).map((m) => m.id)).toEqual([
      'dpo-b2500',
      'dpo-b5000',
      'ddpo',
      'sft-winners',
      'sft-losers',
    ]);
  });
});

describe('computeCounts', () => {
  const settings = {
    ...DIFFUSION_COMPARISON_SETTINGS.smoke,
    pairs: 100,
    samplingSteps: 10,
    trainSteps: 5,
    batchSize: 16,
    ddpoSteps: 3,
    ddpoSamplesPerStep: 32,
    ddpoTrainBatchSize: 8,
  };

  it('Diffusion-DPO: pair images sampled, 2 images x (policy fwd + bwd, reference fwd) per pair', () => {
    // 200 images x 10 steps = 2000 sampling forwards; 5 x 16 pairs x 4 = 320 training forwards; 160 backwards
    expect(computeCounts('dpo', settings)).toEqual({
      imagesSampled: 200,
      optimizerSteps: 5,
      batchSize: 16,
      forwardPasses: 2320,
      backwardPasses: 160,
    });
  });

  it('SFT: the same pairs, one image forward and backward per example', () => {
    expect(computeCounts('sft-losers', settings)).toEqual({
      imagesSampled: 200,
      optimizerSteps: 5,
      batchSize: 16,
      forwardPasses: 2080,
      backwardPasses: 80,
    });
  });

  it('DDPO: its own trajectories, every transition sampled then trained', () => {
    // 96 trajectories x 10 transitions = 960; 4 updates of 8 per step
    expect(computeCounts('ddpo', settings)).toEqual({
      imagesSampled: 96,
      optimizerSteps: 12,
      batchSize: 8,
      forwardPasses: 1920,
      backwardPasses: 960,
    });
  });
});
