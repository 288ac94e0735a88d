import type { ThroughputStepName } from './sizes.js';

/** A training step to time: built once, run repeatedly with increasing step indices. */
export interface ThroughputStep {
  readonly name: ThroughputStepName;
  /** Row label: `DPO step, 16 pairs`. */
  readonly label: string;
  /** What `units` counts: `tokens` (positions processed) or `images`. */
  readonly unit: 'tokens' | 'images';
  /** Tokens or images per step. */
  readonly units: number;
  /** Pairs per step for preference steps (DPO, Diffusion-DPO); undefined otherwise. */
  readonly pairs?: number;
  /** Analytic matmul FLOPs of one step (flops.ts). */
  readonly flops: number;
  /** Weights of the model trained. */
  readonly parameters: number;
  /** Runs step `index`; resolves when its metrics have been read back (so its work is done). */
  run(index: number): Promise<Record<string, number>>;
  /**
   * With {@link ParallelStepOptions}: runs the trainer's own `train()` (its worker pool
   * included) for `totalSteps` steps, calling `onStep` after each with its metrics.
   */
  train?(onStep: (metrics: Record<string, number>) => void): Promise<void>;
  dispose(): void;
}

/** How a step is split for the 1-vs-N-workers table: `train()` with `workers` threads. */
export interface ParallelStepOptions {
  readonly workers: number;
  /** `gradientAccumulationSteps`: the step's batch is split into this many micro-batches. */
  readonly microBatches: number;
  /** Steps `train()` runs (warm-up included). */
  readonly totalSteps: number;
}

/** Config fields of a step split into micro-batches of `batch / microBatches` each. */
export function parallelConfig(parallel: ParallelStepOptions | undefined, batch: number) {
  if (parallel === undefined) return {};
  return {
    totalSteps: parallel.totalSteps,
    perDeviceTrainBatchSize: Math.max(1, Math.floor(batch / parallel.microBatches)),
    gradientAccumulationSteps: parallel.microBatches,
    workers: parallel.workers,
  };
}

/** `train()` of a trainer for {@link ThroughputStep.train}. */
export function trainWith(trainer: {
  train(options: { progress: false; onLog: (entry: { metrics: Record<string, number> }) => void }): Promise<unknown>;
}): ThroughputStep['train'] {
  return async (onStep) => {
    await trainer.train({ progress: false, onLog: ({ metrics }) => onStep(metrics) });
  };
}
