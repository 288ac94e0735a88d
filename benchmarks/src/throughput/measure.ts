import * as tf from '@tensorflow/tfjs-core';
import type { Repetitions } from './sizes.js';
import type { ThroughputStep } from './steps.js';

/** One step timed on one backend (what a worker writes). */
export interface StepMeasurement {
  readonly step: string;
  readonly label: string;
  readonly unit: 'tokens' | 'images';
  readonly units: number;
  readonly pairs?: number;
  readonly flops: number;
  readonly parameters: number;
  readonly warmup: number;
  readonly stepSeconds: readonly number[];
  readonly medianSeconds: number;
  /** Tokens or images per second at the median step time. */
  readonly unitsPerSecond: number;
  readonly pairsPerSecond?: number;
  /** Analytic matmul FLOPs / median seconds / 1e9. */
  readonly gflops: number;
  /**
   * Live tensors after minus before each timed step that followed another run of the step;
   * the first run of a trainer allocates its optimiser state, so it is not checked.
   */
  readonly leakedTensors: readonly number[];
  /** Metrics the trainer returned from the last timed step (PPO's `time/*` phases among them). */
  readonly lastMetrics: Record<string, number>;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs `repetitions.warmup` untimed and `repetitions.steps` timed steps (indices 0, 1, ...,
 * each awaited until its metrics are read back), counting live tensors around every timed step
 * that is not the trainer's first. `log` gets one line per timed step.
 */
export async function measureStep(
  step: ThroughputStep,
  repetitions: Repetitions,
  log: (line: string) => void = () => {},
): Promise<StepMeasurement> {
  let index = 0;
  for (; index < repetitions.warmup; index++) await step.run(index);
  const stepSeconds: number[] = [];
  const leakedTensors: number[] = [];
  let lastMetrics: Record<string, number> = {};
  for (let s = 0; s < repetitions.steps; s++, index++) {
    const before = tf.memory().numTensors;
    const start = performance.now();
    lastMetrics = await step.run(index);
    const seconds = (performance.now() - start) / 1000;
    stepSeconds.push(seconds);
    if (index > 0) leakedTensors.push(tf.memory().numTensors - before);
    log(`${step.name}: step ${s + 1}/${repetitions.steps} ${seconds.toFixed(3)} s`);
  }
  const medianSeconds = median(stepSeconds);
  return {
    step: step.name,
    label: step.label,
    unit: step.unit,
    units: step.units,
    ...(step.pairs !== undefined ? { pairs: step.pairs, pairsPerSecond: step.pairs / medianSeconds } : {}),
    flops: step.flops,
    parameters: step.parameters,
    warmup: repetitions.warmup,
    stepSeconds,
    medianSeconds,
    unitsPerSecond: step.units / medianSeconds,
    gflops: step.flops / medianSeconds / 1e9,
    leakedTensors,
    lastMetrics,
  };
}
