import { describe, expect, it } from 'vitest';
import { resolveOptimizationConfig } from './optimization-config.js';
import { resolveTrainingArguments, stepBatchOptions, TRAINING_ARGUMENTS_FIELDS } from './training-arguments.js';

describe('resolveTrainingArguments', () => {
  it('adds the data walk with the trainer defaults over transformers', () => {
    const resolved = resolveTrainingArguments(
      { totalSteps: 10, evalSteps: 5 },
      { learningRate: 1e-3, lrSchedule: 'constant', perDeviceTrainBatchSize: 64 },
    );
    expect(resolved).toEqual({
      ...resolveOptimizationConfig({ totalSteps: 10 }, { learningRate: 1e-3, lrSchedule: 'constant' }),
      numTrainEpochs: 3,
      perDeviceTrainBatchSize: 64,
      perDeviceEvalBatchSize: 8,
      gradientAccumulationSteps: 1,
      seed: 42,
      evalSteps: 5,
      saveSteps: 500,
      saveTotalLimit: undefined,
      loggingSteps: 10,
    });
  });

  it('validates the data-walking fields by name', () => {
    expect(() => resolveTrainingArguments({ totalSteps: 1, gradientAccumulationSteps: 0 })).toThrow(
      'config.gradientAccumulationSteps must be an integer >= 1: got 0',
    );
    expect(() => resolveTrainingArguments({ totalSteps: 1, seed: 2 ** 32 })).toThrow(
      'config.seed must be an integer >= 0 and <= 4294967295',
    );
    expect(() => resolveTrainingArguments({ totalSteps: 1, saveTotalLimit: 0 })).toThrow('config.saveTotalLimit');
    expect(() => resolveTrainingArguments({ totalSteps: 1, learningRate: -1 })).toThrow('config.learningRate');
  });

  it('leaves totalSteps 0 (to derive from numTrainEpochs) when it is not given, and validates numTrainEpochs', () => {
    const resolved = resolveTrainingArguments({ numTrainEpochs: 1.5 });
    expect(resolved.totalSteps).toBe(0);
    expect(resolved.numTrainEpochs).toBe(1.5);
    expect(resolveTrainingArguments({}).numTrainEpochs).toBe(3);
    expect(() => resolveTrainingArguments({ numTrainEpochs: 0 })).toThrow(
      'config.numTrainEpochs must be a finite number > 0: got 0',
    );
    expect(() => resolveTrainingArguments({ totalSteps: 0 })).toThrow(
      'config.totalSteps must be an integer >= 1: got 0',
    );
  });

  it('lists every field it resolves in TRAINING_ARGUMENTS_FIELDS', () => {
    const resolved = resolveTrainingArguments({ totalSteps: 1 });
    expect([...TRAINING_ARGUMENTS_FIELDS].sort()).toEqual(Object.keys(resolved).sort());
  });
});

describe('stepBatchOptions', () => {
  it('walks the data in micro-batches of perDeviceTrainBatchSize, gradientAccumulationSteps per step', () => {
    const args = resolveTrainingArguments({
      totalSteps: 1,
      perDeviceTrainBatchSize: 4,
      gradientAccumulationSteps: 3,
      seed: 9,
    });
    expect(stepBatchOptions(args)).toEqual({ batchSize: 4, gradientAccumulationSteps: 3, seed: 9 });
  });
});
