import { describe, expect, it } from 'vitest';
import { stepMicroBatches } from '../data/step-micro-batches.js';
import { lrScheduleFromConfig } from './optimizer-from-config.js';
import { resolveTrainingArguments, stepBatchOptions } from './training-arguments.js';
import { trainStepsFromEpochs, withTrainSteps } from './train-steps.js';

describe('trainStepsFromEpochs', () => {
  it('counts steps as transformers does: ceil(epochs * max(1, floor(ceil(n / batch) / accumulation)))', () => {
    const settings = (numTrainEpochs: number, perDeviceTrainBatchSize: number, gradientAccumulationSteps: number) => ({
      numTrainEpochs,
      perDeviceTrainBatchSize,
      gradientAccumulationSteps,
    });
    // 100 examples, batch 8: 13 batches (the last of 4); 3 epochs of 13 steps.
    expect(trainStepsFromEpochs(settings(3, 8, 1), 100)).toBe(39);
    // accumulation 2: floor(13 / 2) = 6 steps per epoch.
    expect(trainStepsFromEpochs(settings(3, 8, 2), 100)).toBe(18);
    // half an epoch of 13 steps: ceil(6.5) = 7.
    expect(trainStepsFromEpochs(settings(0.5, 8, 1), 100)).toBe(7);
    // fewer batches than the accumulation: still one step per epoch.
    expect(trainStepsFromEpochs(settings(2, 8, 4), 10)).toBe(2);
    // a tiny fraction still trains one step.
    expect(trainStepsFromEpochs(settings(0.001, 1, 1), 3)).toBe(1);
  });

  it('names numTrainExamples when there is no training example', () => {
    expect(() =>
      trainStepsFromEpochs({ numTrainEpochs: 1, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 1 }, 0),
    ).toThrow('numTrainExamples must be an integer >= 1: got 0');
  });
});

describe('withTrainSteps', () => {
  it('keeps a given totalSteps (it wins over numTrainEpochs, like max_steps > 0)', () => {
    const args = resolveTrainingArguments({ totalSteps: 5, numTrainEpochs: 10 });
    expect(withTrainSteps(args, 1000)).toBe(args);
  });

  it('derives totalSteps from numTrainEpochs, and the data walk then covers exactly those epochs', () => {
    const args = withTrainSteps(resolveTrainingArguments({ numTrainEpochs: 2, perDeviceTrainBatchSize: 4 }), 10);
    expect(args.totalSteps).toBe(6); // 3 batches (4, 4, 2) per epoch
    expect(Object.isFrozen(args)).toBe(true);
    const seen = Array.from({ length: args.totalSteps }, (_, step) =>
      stepMicroBatches(10, stepBatchOptions(args), step),
    ).flat();
    expect(seen.map((batch) => batch.epoch)).toEqual([0, 0, 0, 1, 1, 1]);
    for (const epoch of [0, 1]) {
      const indices = seen.filter((batch) => batch.epoch === epoch).flatMap((batch) => batch.indices);
      expect(indices.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  it('the default is 3 epochs', () => {
    expect(withTrainSteps(resolveTrainingArguments({ perDeviceTrainBatchSize: 2 }), 4).totalSteps).toBe(6);
  });

  it('a schedule built before the steps are derived names config.totalSteps', () => {
    expect(() => lrScheduleFromConfig(resolveTrainingArguments({ numTrainEpochs: 1 }))).toThrow(
      'config.totalSteps must be an integer >= 1, or numTrainEpochs with a training dataset',
    );
  });
});
