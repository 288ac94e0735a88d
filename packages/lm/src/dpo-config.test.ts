import { InvalidArgumentError } from '@dpo-ts/core';
import { EVERY_PREFERENCE_FIELD, EVERY_TRAINING_ARGUMENTS_FIELD } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { resolveDPOConfig, type DPOConfig } from './dpo-config.js';

const model = { contextLength: 16 };

// Every field set: a field added to DPOConfig fails to compile here until listed, and fails the
// first test until resolveDPOConfig knows it.
const EVERY_FIELD: Required<DPOConfig> = {
  ...EVERY_TRAINING_ARGUMENTS_FIELD,
  ...EVERY_PREFERENCE_FIELD,
  syncRefModel: false, // precomputed reference scores cannot be synced
  maxLength: 12,
  maxPromptLength: 5,
  maxCompletionLength: 6,
  truncationMode: 'keep_start',
  precomputeRefLogProbs: true,
  precomputeRefBatchSize: 3,
  scoreReduction: 'mean',
};

describe('resolveDPOConfig', () => {
  it('accepts every DPOConfig field and resolves the preference ones through core', () => {
    const resolved = resolveDPOConfig(EVERY_FIELD, model);
    expect(resolved).toMatchObject({
      learningRate: 1e-3,
      perDeviceTrainBatchSize: 4,
      maxLength: 12,
      maxPromptLength: 5,
      truncationMode: 'keep_start',
      scoreReduction: 'mean',
    });
    expect(resolved).toMatchObject({ learningRate: 1e-3, lrSchedule: 'cosine', refModelSyncSteps: 4 });
    expect(resolved.loss).toMatchObject({ beta: 0.2, lossWeights: [1, 0.5], simpoGamma: 0.5 });
  });

  it("uses TRL's DPO learning rate, in one resolved config (no nested copy to flatten again)", () => {
    const resolved = resolveDPOConfig(
      { totalSteps: 1, precomputeRefLogProbs: true, perDeviceTrainBatchSize: 2 },
      model,
    );
    expect(resolved.learningRate).toBe(1e-6);
    expect(resolved).not.toHaveProperty('preference');
  });

  it('refuses an unknown (misspelt) field, naming it, instead of ignoring it', () => {
    const misspelt = { totalSteps: 1, lerningRate: 1e-3 } as DPOConfig;
    expect(() => resolveDPOConfig(misspelt, model)).toThrow(InvalidArgumentError);
    expect(() => resolveDPOConfig(misspelt, model)).toThrow(
      /^config\.lerningRate must be absent \(known fields: .*scoreReduction\): got 0\.001$/,
    );
    expect(() => resolveDPOConfig({ totalSteps: 1, packing: true } as DPOConfig, model)).toThrow(
      'config.packing must be absent',
    ); // an SFT field
  });
});
