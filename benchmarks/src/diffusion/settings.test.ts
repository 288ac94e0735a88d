import { describe, expect, it } from 'vitest';
import { mixSeeds } from '@dpo-ts/core/training';
import { DIFFUSION_COMPARISON_SETTINGS, comparisonSeeds, evaluationSeed, pairSamplingSeed } from './settings.js';

describe('comparisonSeeds', () => {
  it("takes the runner's seeds first, in order, up to the count", () => {
    expect(comparisonSeeds({ seed: 7, seeds: [3, 1, 2] }, 2)).toEqual([3, 1]);
    expect(comparisonSeeds({ seed: 7, seeds: [3, 1, 2] }, 3)).toEqual([3, 1, 2]);
  });

  it('derives the missing seeds from the base seed, never duplicating one', () => {
    expect(comparisonSeeds({ seed: 7, seeds: [5] }, 3)).toEqual([5, mixSeeds(7, 0x5eed, 0), mixSeeds(7, 0x5eed, 1)]);
    expect(comparisonSeeds({ seed: 7, seeds: [] }, 1)).toEqual([mixSeeds(7, 0x5eed, 0)]);
    expect(comparisonSeeds({ seed: 7, seeds: [4, 4, 9] }, 2)).toEqual([4, 9]);
  });

  it('is deterministic and gives as many seeds as the mode asks for', () => {
    for (const settings of Object.values(DIFFUSION_COMPARISON_SETTINGS)) {
      const seeds = comparisonSeeds({ seed: 0, seeds: [0] }, settings.seeds);
      expect(seeds).toHaveLength(settings.seeds);
      expect(new Set(seeds).size).toBe(seeds.length);
      expect(comparisonSeeds({ seed: 0, seeds: [0] }, settings.seeds)).toEqual(seeds);
    }
  });
});

describe('derived seeds', () => {
  it('evaluation noise depends on the run seed only; pair sampling on the training seed and the reward', () => {
    expect(evaluationSeed(0)).toBe(evaluationSeed(0));
    expect(evaluationSeed(0)).not.toBe(evaluationSeed(1));
    expect(pairSamplingSeed(0, 0)).not.toBe(pairSamplingSeed(0, 1));
    expect(pairSamplingSeed(0, 0)).not.toBe(pairSamplingSeed(1, 0));
    expect(pairSamplingSeed(0, 0)).not.toBe(evaluationSeed(0));
  });
});

describe('DIFFUSION_COMPARISON_SETTINGS', () => {
  it('full runs three seeds, several betas and DDPO with as many sampled images as the pairs', () => {
    const full = DIFFUSION_COMPARISON_SETTINGS.full;
    expect(full.seeds).toBe(3);
    expect(full.betas).toEqual([2500, 5000, 10000]);
    expect(full.ddpoSteps * full.ddpoSamplesPerStep).toBe(2 * full.pairs);
  });

  it('every mode has DDPO samples per step divisible by its minibatch (DDPOConfig requires it)', () => {
    for (const s of Object.values(DIFFUSION_COMPARISON_SETTINGS))
      expect(s.ddpoSamplesPerStep % s.ddpoTrainBatchSize).toBe(0);
  });
});
