import { batchesPerEpoch, epochBatches, requireInteger } from '@dpo-ts/core';

/** How a trainer walks its data: batch size, accumulation and the shuffling seed. */
export interface StepBatchOptions {
  /** Examples per micro-batch. */
  readonly batchSize: number;
  /** Micro-batches per optimiser step. */
  readonly gradientAccumulationSteps: number;
  /** Seed of every epoch's shuffle. */
  readonly seed: number;
}

/** One micro-batch of an optimiser step: dataset indices and the epoch they belong to. */
export interface StepMicroBatch {
  /** 0-based epoch of these examples (per-epoch draws such as fresh noise use it). */
  readonly epoch: number;
  /** Positions in the dataset. */
  readonly indices: readonly number[];
}

/**
 * The micro-batches of optimiser step `stepIndex`: micro-batches `stepIndex * accumulation ..`
 * of core's `epochBatches` (reshuffled every epoch by (seed, epoch); an epoch's last batch may be
 * smaller). They depend on the step alone, so a resumed run sees exactly the batches an
 * uninterrupted run would have, with nothing but the step saved.
 */
export function stepMicroBatches(numExamples: number, options: StepBatchOptions, stepIndex: number): StepMicroBatch[] {
  requireInteger('stepIndex', stepIndex, { min: 0 });
  const accumulation = options.gradientAccumulationSteps;
  const indices = Array.from({ length: numExamples }, (_, i) => i);
  const batches: StepMicroBatch[] = [];
  for (const { epoch, items } of epochBatches(indices, { batchSize: options.batchSize, seed: options.seed, startStep: stepIndex * accumulation })) {
    batches.push({ epoch, indices: items });
    if (batches.length === accumulation) break;
  }
  return batches;
}

/** Fractional epochs completed after `completedSteps` optimiser steps (TRL's logged `epoch`). */
export function epochsCompleted(numExamples: number, options: StepBatchOptions, completedSteps: number): number {
  return (completedSteps * options.gradientAccumulationSteps) / batchesPerEpoch(numExamples, options.batchSize);
}

/**
 * A 32-bit seed mixed from several non-negative integers (splitmix-style), for per-example
 * random streams: `mixSeeds(seed, epoch, index)` gives every (epoch, example) its own stream,
 * derived rather than carried, so nothing needs saving for a bit-identical resume and a pair's
 * draws do not depend on which batch it landed in.
 */
export function mixSeeds(...parts: readonly number[]): number {
  let z = 0x9e3779b9;
  for (const part of parts) {
    z = (z ^ Math.imul((part >>> 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
  }
  return z;
}
