import { batchesPerEpoch, epochBatches, requireInteger } from '@dpo-ts/core';

/** How a trainer walks its data: batch size, accumulation and the shuffling seed. */
export interface StepScheduleOptions {
  /** Examples per micro-batch (TRL's `per_device_train_batch_size`). */
  readonly batchSize: number;
  /** Micro-batches per optimiser step (TRL's `gradient_accumulation_steps`). */
  readonly gradientAccumulationSteps: number;
  /** Seed of every epoch's shuffle. */
  readonly seed: number;
}

/**
 * Indices of the examples in each micro-batch of optimiser step `stepIndex`: micro-batches
 * `stepIndex * accumulation .. + accumulation - 1` of core's `epochBatches` (reshuffled
 * every epoch by `(seed, epoch)`, the last batch of an epoch possibly smaller). The result
 * depends on the step alone, so a resumed run sees exactly the batches an uninterrupted one
 * would have, with nothing but the step saved.
 *
 * @returns `[accumulation][≤ batchSize]` indices into the dataset.
 */
export function stepBatchIndices(numExamples: number, options: StepScheduleOptions, stepIndex: number): number[][] {
  requireInteger('stepIndex', stepIndex, { min: 0 });
  const accumulation = options.gradientAccumulationSteps;
  const indices = Array.from({ length: numExamples }, (_, i) => i);
  const batches: number[][] = [];
  for (const { items } of epochBatches(indices, { batchSize: options.batchSize, seed: options.seed, startStep: stepIndex * accumulation })) {
    batches.push(items);
    if (batches.length === accumulation) break;
  }
  return batches;
}

/**
 * Fractional epochs completed after `completedSteps` optimiser steps (TRL's logged `epoch`):
 * micro-batches consumed divided by micro-batches per epoch.
 */
export function epochsCompleted(numExamples: number, options: StepScheduleOptions, completedSteps: number): number {
  return (completedSteps * options.gradientAccumulationSteps) / batchesPerEpoch(numExamples, options.batchSize);
}

/**
 * A 32-bit seed for step `stepIndex` of a run seeded with `seed` (a splitmix-style mix), for
 * per-step random streams such as dropout: derived from the step, never carried across steps,
 * so nothing needs saving for a bit-identical resume.
 */
export function stepSeed(seed: number, stepIndex: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stepIndex + 1) >>> 0, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
