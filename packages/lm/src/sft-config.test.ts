import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { resolveSFTConfig, type SFTConfig } from './sft-config.js';

const model = { contextLength: 16 };

// Every field set: a field added to SFTConfig fails to compile here until listed, and fails the
// first test until resolveSFTConfig knows it.
const EVERY_FIELD: Required<SFTConfig> = {
  totalSteps: 10,
  learningRate: 1e-3,
  lrSchedule: 'cosine',
  warmupSteps: 2,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  adamBeta1: 0.8,
  adamBeta2: 0.99,
  adamEpsilon: 1e-6,
  maxGradNorm: 2,
  perDeviceTrainBatchSize: 4,
  perDeviceEvalBatchSize: 6,
  gradientAccumulationSteps: 2,
  seed: 7,
  evalSteps: 5,
  saveSteps: 5,
  saveTotalLimit: 2,
  loggingSteps: 1,
  maxLength: 12,
  maxPromptLength: 5,
  truncationMode: 'keep_start',
  completionOnlyLoss: false,
  packing: true,
};

describe('resolveSFTConfig', () => {
  it('accepts every SFTConfig field', () => {
    expect(resolveSFTConfig(EVERY_FIELD, model)).toMatchObject({ learningRate: 1e-3, maxLength: 12, maxPromptLength: 5, completionOnlyLoss: false, packing: true });
  });

  it('refuses an unknown (misspelt) field, naming it, instead of ignoring it', () => {
    const misspelt = { totalSteps: 1, lerningRate: 1e-3 } as SFTConfig;
    expect(() => resolveSFTConfig(misspelt, model)).toThrow(InvalidArgumentError);
    expect(() => resolveSFTConfig(misspelt, model)).toThrow(/^config\.lerningRate must be absent \(known fields: .*packing\): got 0\.001$/);
    expect(() => resolveSFTConfig({ totalSteps: 1, beta: 0.1 } as SFTConfig, model)).toThrow('config.beta must be absent'); // a DPO field
  });
});
