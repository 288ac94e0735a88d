import { requireInteger } from '../errors/validate.js';
import { epochBatches } from './epoch-batches.js';
import { batchesPerEpoch } from './shuffled-batches.js';

/** How a trainer walks its data: micro-batch size, accumulation and the shuffling seed. */
export interface StepBatchOptions {
  /** Examples per micro-batch (TRL's `per_device_train_batch_size`). */
  readonly batchSize: number;
  /** Micro-batches per optimiser step (TRL's `gradient_accumulation_steps`). */
  readonly gradientAccumulationSteps: number;
  /** Seed of every epoch's shuffle. */
  readonly seed: number;
}

/** One micro-batch of an optimiser step: dataset indices and the epoch they belong to. */
export interface StepMicroBatch {
  /** 0-based epoch of these examples (per-epoch draws such as fresh noise use it). */
  readonly epoch: number;
  /** Positions in the dataset. */
  readonly indices: number[];
}

/**
 * The micro-batches of optimiser step `stepIndex`: micro-batches
 * `stepIndex * accumulation .. + accumulation - 1` of core's `epochBatches` over
 * `numExamples` examples (reshuffled every epoch by (seed, epoch); an epoch's last batch may be
 * smaller). They depend on the step alone, so a resumed run sees exactly the batches an
 * uninterrupted run would have, with nothing but the step saved.
 *
 * @returns `gradientAccumulationSteps` micro-batches of at most `batchSize` indices each.
 * @example
 * const batches = stepMicroBatches(dataset.length, { batchSize: 8, gradientAccumulationSteps: 2, seed: 42 }, stepIndex);
 */
export function stepMicroBatches(numExamples: number, options: StepBatchOptions, stepIndex: number): StepMicroBatch[] {
  requireInteger('stepIndex', stepIndex, { min: 0 });
  const accumulation = options.gradientAccumulationSteps;
  const indices = Array.from({ length: numExamples }, (_, i) => i);
  const batches: StepMicroBatch[] = [];
  for (const { epoch, items } of epochBatches(indices, {
    batchSize: options.batchSize,
    seed: options.seed,
    startStep: stepIndex * accumulation,
  })) {
    batches.push({ epoch, indices: items });
    if (batches.length === accumulation) break;
  }
  return batches;
}

/**
 * Fractional epochs completed after `completedSteps` optimiser steps (TRL's logged `epoch`):
 * micro-batches consumed divided by micro-batches per epoch.
 */
export function epochsCompleted(numExamples: number, options: StepBatchOptions, completedSteps: number): number {
  return (completedSteps * options.gradientAccumulationSteps) / batchesPerEpoch(numExamples, options.batchSize);
}
