import { InvalidArgumentError } from '@dpo-ts/core';
import { EVERY_PREFERENCE_FIELD, EVERY_TRAINING_ARGUMENTS_FIELD } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import type { Denoiser } from '../denoiser.js';
import { resolveDiffusionDPOConfig, type DiffusionDPOConfig } from './diffusion-dpo-config.js';

const denoiser = { config: { cfgDropProb: 0.1 } } as unknown as Pick<Denoiser, 'config'>;

// Every field set: a field added to DiffusionDPOConfig fails to compile here until listed, and
// fails the first test until resolveDiffusionDPOConfig knows it.
const EVERY_FIELD: Required<DiffusionDPOConfig> = {
  ...EVERY_TRAINING_ARGUMENTS_FIELD,
  ...EVERY_PREFERENCE_FIELD,
  beta: 2500,
  syncRefModel: false, // precomputed reference scores cannot be synced
  cfgDropProb: 0.2,
  fixedNoise: true,
  precomputeRefLogProbs: true,
  precomputeRefBatchSize: 3,
  numTimestepBuckets: 4,
  scoreScale: 1,
};

describe('resolveDiffusionDPOConfig', () => {
  it('accepts every DiffusionDPOConfig field and hands the preference ones to core', () => {
    const resolved = resolveDiffusionDPOConfig(EVERY_FIELD, denoiser, 100);
    expect(resolved).toMatchObject({
      learningRate: 1e-3,
      cfgDropProb: 0.2,
      precomputeRefBatchSize: 3,
      numTimestepBuckets: 4,
      scoreScale: 1,
    });
    expect(resolved).toMatchObject({ learningRate: 1e-3, lrSchedule: 'cosine', refModelSyncSteps: 4 });
    expect(resolved.loss).toMatchObject({ beta: 2500, lossWeights: [1, 0.5] });
  });

  it("gives the preference trainer this trainer's defaults (beta 5000, constant schedule)", () => {
    const resolved = resolveDiffusionDPOConfig(
      { totalSteps: 1, perDeviceTrainBatchSize: 2, numTimestepBuckets: 2 },
      denoiser,
      100,
    );
    expect(resolved).toMatchObject({ learningRate: 1e-5, lrSchedule: 'constant' });
    expect(resolved.loss.beta).toBe(5000);
  });

  it('refuses an unknown (misspelt) field, naming it, instead of ignoring it', () => {
    const misspelt = { totalSteps: 1, lerningRate: 1e-3 } as DiffusionDPOConfig;
    expect(() => resolveDiffusionDPOConfig(misspelt, denoiser, 100)).toThrow(InvalidArgumentError);
    expect(() => resolveDiffusionDPOConfig(misspelt, denoiser, 100)).toThrow(
      /^config\.lerningRate must be absent \(known fields: .*scoreScale\): got 0\.001$/,
    );
  });
});
