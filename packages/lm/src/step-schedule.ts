import { stepMicroBatches, type StepBatchOptions } from '@dpo-ts/core/data';

export { epochsCompleted } from '@dpo-ts/core/data';

/** How a trainer walks its data: batch size, accumulation and the shuffling seed (core's `StepBatchOptions`). */
export type StepScheduleOptions = StepBatchOptions;

/**
 * Indices of the examples in each micro-batch of optimiser step `stepIndex`: core's
 * `stepMicroBatches` without the epochs (micro-batches `stepIndex * accumulation ..` of
 * `epochBatches`, reshuffled every epoch by (seed, epoch)). The result depends on the step
 * alone, so a resumed run sees exactly the batches an uninterrupted one would have.
 *
 * @returns `[accumulation][≤ batchSize]` indices into the dataset.
 */
export function stepBatchIndices(numExamples: number, options: StepScheduleOptions, stepIndex: number): number[][] {
  return stepMicroBatches(numExamples, options, stepIndex).map((batch) => batch.indices);
}

/**
 * A 32-bit seed for step `stepIndex` of a run seeded with `seed` (a splitmix-style mix), for
 * per-step random streams such as dropout: derived from the step, never carried across steps,
 * so nothing needs saving for a bit-identical resume.
 *
 * The same idea as core's `mixSeeds(seed, stepIndex)` with other constants; it stays separate so
 * that language-model dropout streams (and so training runs and their checkpoints) keep their
 * values.
 */
export function stepSeed(seed: number, stepIndex: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stepIndex + 1) >>> 0, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
