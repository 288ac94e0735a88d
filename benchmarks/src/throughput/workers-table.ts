import type { ReportTable } from '../harness/benchmark.js';
import type { PyTorchComparison } from './pytorch.js';
import type { WorkerOutput } from './worker.js';

type Measured = Extract<WorkerOutput, { kind: 'measured' }>;

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Outputs of the 1-vs-N-workers measurements (`worker.js --workers`). */
export function workerMeasurements(outputs: readonly WorkerOutput[]): Measured[] {
  return outputs.filter((o): o is Measured => o.kind === 'measured' && o.measurement.workers !== undefined);
}

/** PyTorch's median seconds for `step` at `threads` threads, if measured. */
function pytorchSeconds(pytorch: PyTorchComparison, step: string, threads: number): number | undefined {
  if (!pytorch.available) return undefined;
  if (step === 'dpo') return pytorch.timings.find((t) => t.threads === threads)?.medianSeconds;
  return pytorch.tasks?.find((t) => t.task === step && t.threads === threads)?.medianSeconds;
}

/**
 * The data-parallel table of issue #12: for DPO, SFT, a PPO update and Diffusion-DPO, each step
 * split into micro-batches and run by the trainer's own `train()` on 1 and N worker threads: ms
 * per step, CPU ms per step over every thread (the parallel overhead, which a loaded machine
 * does not hide), pairs or samples per second, speedup and scaling efficiency over 1 worker, and
 * dpo-ts / PyTorch time ratios against PyTorch on 1 and on every core.
 */
export function workersTable(
  outputs: readonly WorkerOutput[],
  pytorch: PyTorchComparison,
  cores: number,
): ReportTable | undefined {
  const measured = workerMeasurements(outputs);
  if (measured.length === 0) return undefined;
  const rows: (string | number | null)[][] = [];
  for (const o of measured) {
    const m = o.measurement;
    const base = measured.find((b) => b.measurement.step === m.step && b.measurement.workers === 1)?.measurement;
    const speedup = base ? base.medianSeconds / m.medianSeconds : undefined;
    const torch1 = pytorchSeconds(pytorch, m.step, 1);
    const torchN = pytorchSeconds(pytorch, m.step, cores);
    const rate = m.pairsPerSecond ?? m.unitsPerSecond;
    rows.push([
      m.label.replace(/ \(.*?\)/, ''),
      m.workers!,
      round(m.medianSeconds * 1000, 0),
      m.cpuSecondsPerStep === undefined ? null : round(m.cpuSecondsPerStep * 1000, 0),
      `${round(rate, 1)} ${m.pairsPerSecond !== undefined ? 'pairs' : m.unit}/s`,
      speedup === undefined ? null : `${speedup.toFixed(2)}x`,
      speedup === undefined ? null : `${Math.round((speedup / m.workers!) * 100)}%`,
      torch1 === undefined ? null : `${(m.medianSeconds / torch1).toFixed(2)}x`,
      torchN === undefined || cores === 1 ? null : `${(m.medianSeconds / torchN).toFixed(2)}x`,
      o.loadAverage.join(' -> '),
    ]);
  }
  return {
    title: `Data-parallel workers: 1 vs N worker threads (${cores} cores)`,
    columns: [
      'step',
      'workers',
      'ms / step (median)',
      'CPU ms / step (all threads)',
      'throughput',
      'speedup',
      'scaling efficiency',
      'dpo-ts / PyTorch 1 thread',
      `dpo-ts / PyTorch ${cores} threads`,
      'load average',
    ],
    rows,
    note:
      "Each step is split into micro-batches (gradientAccumulationSteps) and timed through the trainer's train() with `workers` set, after its warm-up (the per-backend table's warm-up plus 3 steps, so neither the pool's start-up nor the JIT warm-up of each worker's engine is counted). " +
      'The PPO and DDPO updates set `samplingWorkers` to the same count: their rollouts sample on the sampling pool, their minibatch gradients on the gradient pool. ' +
      'CPU ms per step sums every thread of the process: its growth from 1 to N workers is the parallel overhead, and it stays meaningful on a loaded machine, where wall-clock speedups do not (a session gets one share of the CPUs however many threads it runs). ' +
      'PyTorch runs the same step (benchmarks/python/dpo_step.py, diffusion_dpo_step.py) with its BLAS pinned to 1 and to every core; a ratio above 1 means dpo-ts is slower.',
  };
}
