import { InvalidArgumentError } from '@dpo-ts/core';
import { EVERY_TRAINING_ARGUMENTS_FIELD } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import type { Denoiser } from '../denoiser.js';
import { resolveDiffusionSFTConfig, type DiffusionSFTConfig } from './diffusion-sft-config.js';

const denoiser = { config: { cfgDropProb: 0.1 } } as unknown as Pick<Denoiser, 'config'>;

// Every field set: a field added to DiffusionSFTConfig fails to compile here until listed, and
// fails the first test until resolveDiffusionSFTConfig knows it.
const EVERY_FIELD: Required<DiffusionSFTConfig> = {
  ...EVERY_TRAINING_ARGUMENTS_FIELD,
  cfgDropProb: 0.2,
  workers: 2,
};

describe('resolveDiffusionSFTConfig', () => {
  it('accepts every DiffusionSFTConfig field', () => {
    expect(resolveDiffusionSFTConfig(EVERY_FIELD, denoiser)).toMatchObject({
      learningRate: 1e-3,
      perDeviceEvalBatchSize: 6,
      cfgDropProb: 0.2,
      workers: 2,
    });
  });

  it('refuses an unknown (misspelt) field, naming it, instead of ignoring it', () => {
    const misspelt = { totalSteps: 1, lerningRate: 1e-3 } as DiffusionSFTConfig;
    expect(() => resolveDiffusionSFTConfig(misspelt, denoiser)).toThrow(InvalidArgumentError);
    expect(() => resolveDiffusionSFTConfig(misspelt, denoiser)).toThrow(
      /^config\.lerningRate must be absent \(known fields: .*cfgDropProb\): got 0\.001$/,
    );
    expect(() => resolveDiffusionSFTConfig({ totalSteps: 1, beta: 5000 } as DiffusionSFTConfig, denoiser)).toThrow(
      'config.beta must be absent',
    ); // a DPO field
  });
});
