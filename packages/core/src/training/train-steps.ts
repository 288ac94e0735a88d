import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import { batchesPerEpoch } from '../data/shuffled-batches.js';
import type { ResolvedTrainingArguments } from './training-arguments.js';

/** The fields {@link trainStepsFromEpochs} reads. */
export type EpochStepSettings = Pick<
  ResolvedTrainingArguments,
  'numTrainEpochs' | 'perDeviceTrainBatchSize' | 'gradientAccumulationSteps'
>;

/**
 * Optimiser steps of `numTrainEpochs` passes over `numTrainExamples` examples, as transformers'
 * `Trainer` counts them when `max_steps` is not set:
 *
 *   batches per epoch = ceil(n / perDeviceTrainBatchSize)   (the last batch may be smaller)
 *   steps per epoch   = max(1, floor(batches per epoch / gradientAccumulationSteps))
 *   total steps       = ceil(numTrainEpochs * steps per epoch)
 *
 * A fractional `numTrainEpochs` (0.5) trains on part of the data, as in transformers. dpo-ts
 * walks micro-batches continuously across epochs (core's `stepMicroBatches`), so when the
 * accumulation does not divide an epoch, the logged `epoch` of the last step may differ
 * slightly from `numTrainEpochs`, just as transformers' does.
 *
 * @param numTrainExamples - training examples after the trainer's own processing (tokenised
 *   rows, packed windows, pairs that fit).
 * @throws InvalidArgumentError when `numTrainExamples` is not an integer >= 1.
 * @example
 * trainStepsFromEpochs({ numTrainEpochs: 3, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2 }, 100); // 3 * floor(13 / 2) = 18
 */
export function trainStepsFromEpochs(settings: EpochStepSettings, numTrainExamples: number): number {
  const n = requireInteger('numTrainExamples', numTrainExamples, { min: 1 });
  const batches = batchesPerEpoch(n, settings.perDeviceTrainBatchSize);
  const stepsPerEpoch = Math.max(1, Math.floor(batches / settings.gradientAccumulationSteps));
  return Math.max(1, Math.ceil(settings.numTrainEpochs * stepsPerEpoch));
}

/**
 * `args` with `totalSteps` settled once the trainer knows its training-set size: the
 * configured `totalSteps` when it was given (it wins, as `max_steps > 0` does in transformers),
 * else {@link trainStepsFromEpochs}. Every trainer calls it once, in `create`, after preparing
 * its data and before building its learning-rate schedule.
 *
 * @returns `args` itself when `totalSteps` was given, else a frozen copy with it set.
 * @throws InvalidArgumentError naming `numTrainExamples` when it is not an integer >= 1.
 * @example
 * const config = withTrainSteps(resolveSFTConfig(options.config, model), rows.length);
 */
export function withTrainSteps<T extends ResolvedTrainingArguments>(args: T, numTrainExamples: number): T {
  if (args.totalSteps > 0) return args;
  return Object.freeze({ ...args, totalSteps: trainStepsFromEpochs(args, numTrainExamples) });
}

/**
 * The resolved `totalSteps`, checked to be settled: a trainer that derives its steps from
 * `numTrainEpochs` must call {@link withTrainSteps} first.
 * @throws InvalidArgumentError naming `config.totalSteps` when it is still 0 (not derived).
 */
export function requireTrainSteps(args: Pick<ResolvedTrainingArguments, 'totalSteps'>): number {
  if (!(args.totalSteps >= 1)) {
    throw new InvalidArgumentError(
      'config.totalSteps',
      'an integer >= 1, or numTrainEpochs with a training dataset (the trainer calls withTrainSteps)',
      args.totalSteps,
    );
  }
  return args.totalSteps;
}
