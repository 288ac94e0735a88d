import { InvalidArgumentError } from '@dpo-ts/core';
import { EVERY_TRAINING_ARGUMENTS_FIELD } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { resolveSFTConfig, type SFTConfig } from './sft-config.js';

const model = { contextLength: 16 };

// Every field set: a field added to SFTConfig fails to compile here until listed, and fails the
// first test until resolveSFTConfig knows it.
const EVERY_FIELD: Required<SFTConfig> = {
  ...EVERY_TRAINING_ARGUMENTS_FIELD,
  maxLength: 12,
  maxPromptLength: 5,
  truncationMode: 'keep_start',
  completionOnlyLoss: false,
  packing: true,
  workers: 2,
};

describe('resolveSFTConfig', () => {
  it('accepts every SFTConfig field', () => {
    expect(resolveSFTConfig(EVERY_FIELD, model)).toMatchObject({
      learningRate: 1e-3,
      maxLength: 12,
      maxPromptLength: 5,
      completionOnlyLoss: false,
      packing: true,
      workers: 2,
    });
    expect(resolveSFTConfig({ totalSteps: 1 }, model).workers).toBe('auto');
    expect(() => resolveSFTConfig({ totalSteps: 1, workers: 0 }, model)).toThrow(
      "config.workers must be an integer >= 1 or 'auto': got 0",
    );
  });

  it('refuses an unknown (misspelt) field, naming it, instead of ignoring it', () => {
    const misspelt = { totalSteps: 1, lerningRate: 1e-3 } as SFTConfig;
    expect(() => resolveSFTConfig(misspelt, model)).toThrow(InvalidArgumentError);
    expect(() => resolveSFTConfig(misspelt, model)).toThrow(
      /^config\.lerningRate must be absent \(known fields: .*packing\): got 0\.001$/,
    );
    expect(() => resolveSFTConfig({ totalSteps: 1, beta: 0.1 } as SFTConfig, model)).toThrow(
      'config.beta must be absent',
    ); // a DPO field
  });
});
