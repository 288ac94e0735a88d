import * as tf from '@tensorflow/tfjs-core';
import type { Repetitions } from './sizes.js';
import type { ThroughputStep } from './steps.js';

/** One step timed on one backend (what a worker writes): the step's description, then its timings. */
export interface StepMeasurement
  extends Pick<ThroughputStep, 'label' | 'unit' | 'units' | 'pairs' | 'flops' | 'parameters'> {
  readonly step: string;
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
  /** Worker threads of a `train()` measurement ({@link measureTraining}); undefined for `run()`. */
  readonly workers?: number;
  /** Median CPU seconds per step over every thread of the process (workers included). */
  readonly cpuSecondsPerStep?: number;
  /**
   * Median seconds per step of each phase core logged (`time/reference`, `time/compute`, ...:
   * core's `STEP_PHASE_METRICS`, logged with `DPO_TS_STEP_PHASES=1`), keyed by metric name;
   * undefined when the steps logged none.
   */
  readonly phaseSeconds?: Readonly<Record<string, number>>;
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
  return stepMeasurement(step, repetitions, stepSeconds, leakedTensors, lastMetrics);
}

/**
 * Times the trainer's own `train()` ({@link ThroughputStep.train}) over `warmup + steps` steps:
 * wall and CPU time (all threads of the process, worker threads included: the parallel
 * overhead, robust to a loaded machine) between consecutive steps; the first `warmup` steps
 * (the worker pool's start-up falls in the first) are not counted. Leaks: main-thread tensors
 * after each counted step minus after the one before (workers check their own per micro-batch).
 */
export async function measureTraining(
  step: ThroughputStep,
  repetitions: Repetitions,
  workers: number,
  log: (line: string) => void = () => {},
): Promise<StepMeasurement> {
  if (step.train === undefined) throw new Error(`${step.name}: no train() to measure with workers`);
  const stepSeconds: number[] = [];
  const cpuSeconds: number[] = [];
  const leakedTensors: number[] = [];
  const phases = new Map<string, number[]>();
  let lastMetrics: Record<string, number> = {};
  let index = 0;
  let wall = performance.now();
  let cpu = process.cpuUsage();
  let tensors = tf.memory().numTensors;
  await step.train((metrics) => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    if (index >= repetitions.warmup) {
      stepSeconds.push((now - wall) / 1000);
      cpuSeconds.push((used.user + used.system) / 1e6);
      leakedTensors.push(tf.memory().numTensors - tensors);
      for (const [name, seconds] of Object.entries(metrics))
        if (name.startsWith('time/')) phases.set(name, [...(phases.get(name) ?? []), seconds]);
      log(`${step.name}, ${workers} worker(s): step ${index + 1} ${((now - wall) / 1000).toFixed(3)} s`);
    }
    lastMetrics = metrics;
    index += 1;
    wall = now;
    cpu = process.cpuUsage();
    tensors = tf.memory().numTensors;
  });
  return {
    ...stepMeasurement(step, repetitions, stepSeconds, leakedTensors, lastMetrics),
    workers,
    cpuSecondsPerStep: median(cpuSeconds),
    ...(phases.size > 0
      ? { phaseSeconds: Object.fromEntries([...phases].map(([name, values]) => [name, median(values)])) }
      : {}),
  };
}

/** The measurement both timers report: per-step seconds, their median and the rates derived from it. */
function stepMeasurement(
  step: ThroughputStep,
  repetitions: Repetitions,
  stepSeconds: number[],
  leakedTensors: number[],
  lastMetrics: Record<string, number>,
): StepMeasurement {
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
