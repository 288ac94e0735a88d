import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { pickFields } from '../training/optimization-config.js';
import { EVERY_PREFERENCE_FIELD, EVERY_TRAINING_ARGUMENTS_FIELD } from '../testing/config-fixtures.js';
import {
  PREFERENCE_TRAINER_CONFIG_FIELDS,
  resolvePreferenceTrainerConfig,
  type PreferenceTrainerConfig,
} from './preference-trainer-config.js';

// Every field set: adding one to PreferenceTrainerConfig without listing it here fails to compile,
// and without adding it to PREFERENCE_TRAINER_CONFIG_FIELDS fails the first test.
const EVERY_FIELD: Required<PreferenceTrainerConfig> = {
  ...EVERY_TRAINING_ARGUMENTS_FIELD,
  ...EVERY_PREFERENCE_FIELD,
};

describe('resolvePreferenceTrainerConfig', () => {
  it('accepts every field it lists, and lists every field it accepts', () => {
    const resolved = resolvePreferenceTrainerConfig(EVERY_FIELD);
    expect(resolved).toMatchObject({ learningRate: 1e-3, syncRefModel: true, refModelSyncSteps: 4, workers: 2 });
    expect(resolved.loss).toMatchObject({ beta: 0.2, lossWeights: [1, 0.5], simpoGamma: 0.5 });
    expect([...PREFERENCE_TRAINER_CONFIG_FIELDS].sort()).toEqual(Object.keys(EVERY_FIELD).sort());
    expect(resolved).toMatchObject({
      perDeviceTrainBatchSize: EVERY_TRAINING_ARGUMENTS_FIELD.perDeviceTrainBatchSize,
      seed: EVERY_TRAINING_ARGUMENTS_FIELD.seed,
    });
  });

  it("takes a modality's defaults under the user's fields, resolving the config once", () => {
    const defaults = { beta: 5000, learningRate: 1e-5, lrSchedule: 'constant' as const, perDeviceTrainBatchSize: 16 };
    const resolved = resolvePreferenceTrainerConfig({ totalSteps: 3 }, defaults);
    expect(resolved).toMatchObject({
      learningRate: 1e-5,
      lrSchedule: 'constant',
      perDeviceTrainBatchSize: 16,
      perDeviceEvalBatchSize: 8,
      seed: 42,
    });
    expect(resolved.loss.beta).toBe(5000);
    expect(resolvePreferenceTrainerConfig({ totalSteps: 3, beta: 0.1, learningRate: 2e-4 }, defaults)).toMatchObject({
      learningRate: 2e-4,
      loss: { beta: 0.1 },
    });
    // Without a modality's default, TRL's DPOConfig learning rate.
    expect(resolvePreferenceTrainerConfig({ totalSteps: 3 }).learningRate).toBe(1e-6);
  });

  it('refuses an unknown (misspelt) field, naming it, instead of ignoring it', () => {
    const misspelt = { totalSteps: 1, lerningRate: 0.1 } as PreferenceTrainerConfig;
    expect(() => resolvePreferenceTrainerConfig(misspelt)).toThrow(InvalidArgumentError);
    expect(() => resolvePreferenceTrainerConfig(misspelt)).toThrow(
      /^config\.lerningRate must be absent \(known fields: totalSteps, learningRate, .*refModelSyncSteps\): got 0\.1$/,
    );
    // A model package's own field is unknown here: its resolver passes only these fields.
    expect(() => resolvePreferenceTrainerConfig({ totalSteps: 1, maxLength: 8 } as PreferenceTrainerConfig)).toThrow(
      'config.maxLength must be absent',
    );
  });

  it('pickFields hands over exactly the preference fields of a larger config', () => {
    const dpoLike: PreferenceTrainerConfig & { maxLength?: number; precomputeRefLogProbs?: boolean } = {
      totalSteps: 2,
      beta: 0.3,
      syncRefModel: undefined,
      maxLength: 8,
      precomputeRefLogProbs: true,
    };
    const picked = pickFields(dpoLike, PREFERENCE_TRAINER_CONFIG_FIELDS);
    expect(picked).toEqual({ totalSteps: 2, beta: 0.3, syncRefModel: undefined }); // present-but-undefined kept: resolvers treat it as absent
    expect(resolvePreferenceTrainerConfig(picked).loss.beta).toBe(0.3);
  });
});
