import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { BackendName } from '@dpo-ts/core/backend';
import type { BenchmarkMode, BenchmarkResult } from '../harness/benchmark.js';
import { type CellMachine, cellMachine, machineReport } from '../harness/cell-machine.js';
import type { BenchmarkCell, CellContext, CellResult } from '../harness/cells.js';
import { type PyTorchComparison, measurePyTorch } from './pytorch.js';
import { withPyTorchTasks } from './pytorch-tasks.js';
import { throughputResult } from './report.js';
import { runWorker } from './run-workers.js';
import { THROUGHPUT_SIZES, THROUGHPUT_STEP_NAMES, sizesFor, type ThroughputStepName } from './sizes.js';
import { parallelStepBuilders, stepBuilders } from './steps.js';
import type { WorkerOutput } from './worker.js';

/** Every backend the benchmark tries, in report order; GPU backends are reported unavailable when they cannot load. */
export const THROUGHPUT_BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'webgpu', 'tensorflow'];

/**
 * Environment variable that limits a run to some steps, comma-separated
 * ({@link ThroughputStepName}s: `DPO_TS_THROUGHPUT_STEPS=dpo,sft`), in the per-backend and the
 * worker-threads tables alike (PyTorch is measured as usual). Unset: every step.
 */
export const THROUGHPUT_STEPS_ENV = 'DPO_TS_THROUGHPUT_STEPS';

/**
 * One cell of the throughput benchmark: every step on one backend (each in its own child
 * process), the 1-vs-N-worker-threads table on one backend, or the PyTorch reference. `steps`
 * (from {@link THROUGHPUT_STEPS_ENV}, in the payload so a stored result's key covers it) limits
 * the steps a backend or workers cell measures; absent: all of them.
 */
export type ThroughputCell =
  | { readonly part: 'backend'; readonly backend: BackendName; readonly steps?: readonly ThroughputStepName[] }
  | { readonly part: 'workers'; readonly backend: BackendName; readonly steps?: readonly ThroughputStepName[] }
  | { readonly part: 'pytorch' };

/**
 * The steps {@link THROUGHPUT_STEPS_ENV} asks for (`value`: its value), or undefined for every step.
 * @throws InvalidArgumentError naming the variable when a name is not a step.
 */
export function throughputStepFilter(value: string | undefined): readonly ThroughputStepName[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const names = value.split(',').map((name) => name.trim());
  for (const name of names)
    if (!THROUGHPUT_STEP_NAMES.includes(name as ThroughputStepName))
      throw new InvalidArgumentError(
        THROUGHPUT_STEPS_ENV,
        `comma-separated ${THROUGHPUT_STEP_NAMES.join(' | ')}`,
        value,
      );
  return names as ThroughputStepName[];
}

/** What a cell measured, with the machine it ran on (timings of different machines are not comparable). */
export interface ThroughputCellResult {
  readonly outputs: WorkerOutput[];
  readonly pytorch?: PyTorchComparison;
  readonly machine: CellMachine;
}

/** The backends a run measures: the one asked for, else all of {@link THROUGHPUT_BACKENDS}. */
export function throughputBackends(backend: CellContext['backend']): readonly BackendName[] {
  return backend && backend !== 'auto' ? [backend] : THROUGHPUT_BACKENDS;
}

/** The cells of a run: one per backend, the worker-threads table (on the asked backend, else wasm), PyTorch. */
export function planThroughputCells(context: CellContext): BenchmarkCell[] {
  const minutes = { smoke: 0.2, quick: 1, full: 7 }[context.mode];
  const workerBackend = context.backend && context.backend !== 'auto' ? context.backend : 'wasm';
  const filter = throughputStepFilter(process.env[THROUGHPUT_STEPS_ENV]);
  const steps = filter === undefined ? {} : { steps: filter };
  const cells: ThroughputCell[] = [
    ...throughputBackends(context.backend).map((backend) => ({ part: 'backend' as const, backend, ...steps })),
    { part: 'workers', backend: workerBackend, ...steps },
    { part: 'pytorch' },
  ];
  return cells.map((cell) => ({
    id: cell.part === 'pytorch' ? 'pytorch' : `${cell.part}/${cell.backend}`,
    payload: cell,
    estimateSeconds: minutes * 60,
  }));
}

/**
 * Checks a cell payload from the queue.
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateThroughputCell(payload: unknown): ThroughputCell {
  const cell = payload as Partial<Record<string, unknown>> | null;
  if (cell === null || typeof cell !== 'object') throw new InvalidArgumentError('cell', 'an object', payload);
  if (cell.part !== 'backend' && cell.part !== 'workers' && cell.part !== 'pytorch')
    throw new InvalidArgumentError('cell.part', '"backend", "workers" or "pytorch"', cell.part);
  if (cell.part !== 'pytorch' && !THROUGHPUT_BACKENDS.includes(cell.backend as BackendName))
    throw new InvalidArgumentError('cell.backend', THROUGHPUT_BACKENDS.join(' | '), cell.backend);
  if (
    cell.steps !== undefined &&
    (!Array.isArray(cell.steps) || cell.steps.some((name) => !THROUGHPUT_STEP_NAMES.includes(name)))
  )
    throw new InvalidArgumentError('cell.steps', `an array of ${THROUGHPUT_STEP_NAMES.join(' | ')}`, cell.steps);
  return cell as ThroughputCell;
}

/**
 * Runs one cell. Child processes write their measurements into a temporary folder (a cell has
 * no output folder: it may run on another machine), removed afterwards. A backend that cannot
 * load ends its cell after the first step; the worker-threads cell stops (and reports nothing)
 * when its backend is unavailable.
 */
export async function runThroughputCell(cell: ThroughputCell, context: CellContext): Promise<ThroughputCellResult> {
  const machine = cellMachine();
  if (cell.part === 'pytorch') {
    const sizes = THROUGHPUT_SIZES[context.mode];
    const pytorch = await withPyTorchTasks(
      await measurePyTorch(context.mode, sizes, context.log),
      context.mode,
      sizes,
      context.log,
    );
    if (!pytorch.available) context.log(`PyTorch: ${pytorch.reason}`);
    return { outputs: [], pytorch, machine };
  }
  const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-throughput-'));
  const outputs: WorkerOutput[] = [];
  const common = {
    backend: cell.backend,
    mode: context.mode,
    dir,
    log: context.log,
    ...(context.signal ? { signal: context.signal } : {}),
  };
  try {
    const sizes = sizesFor(context.mode, cell.backend);
    const measured = (name: ThroughputStepName) => cell.steps === undefined || cell.steps.includes(name);
    if (cell.part === 'backend') {
      for (const [index, builder] of stepBuilders(sizes).entries()) {
        if (!measured(builder.name)) continue;
        if (context.signal?.aborted) throw new Error('aborted');
        const output = await runWorker({ ...common, step: index, stepName: builder.name });
        outputs.push(output);
        if (output.kind === 'unavailable') {
          context.log(`${cell.backend}: unavailable: ${output.reason.slice(0, 200)}`);
          break;
        }
        if (output.kind === 'measured') {
          const m = output.measurement;
          context.log(
            `${cell.backend}: ${m.step}: ${(m.medianSeconds * 1000).toFixed(1)} ms/step, ${Math.round(m.unitsPerSecond)} ${m.unit}/s, ${m.gflops.toFixed(2)} GFLOP/s`,
          );
        }
      }
      return { outputs, machine };
    }
    // The 1-vs-N-workers table: each step split into sizes.microBatches micro-batches, timed
    // through the trainer's train() with 1 and N worker threads (N = cores, capped by them).
    const workerCounts = [...new Set([1, Math.min(machine.cores, sizes.microBatches)])];
    context.log(
      `workers: ${workerCounts.join(' and ')} (${machine.cores} cores, ${sizes.microBatches} micro-batches per step), backend ${cell.backend}`,
    );
    for (const [index, builder] of parallelStepBuilders(sizes, { workers: 1, totalSteps: 0 }).entries()) {
      if (!measured(builder.name)) continue;
      for (const workers of workerCounts) {
        if (context.signal?.aborted) throw new Error('aborted');
        const output = await runWorker({ ...common, step: index, stepName: builder.name, workers });
        if (output.kind === 'unavailable') return { outputs, machine };
        outputs.push(output.kind === 'failed' ? { ...output, step: `${output.step}, ${workers} worker(s)` } : output);
        if (output.kind === 'measured')
          context.log(
            `${cell.backend}: ${builder.name}, ${workers} worker(s): ${(output.measurement.medianSeconds * 1000).toFixed(1)} ms/step, CPU ${((output.measurement.cpuSecondsPerStep ?? 0) * 1000).toFixed(0)} ms/step`,
          );
      }
    }
    return { outputs, machine };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The report from every cell's result (plan order), with where each cell ran. */
export function reduceThroughput(
  cells: readonly CellResult[],
  mode: BenchmarkMode,
  backends: readonly BackendName[],
): BenchmarkResult {
  const results = cells.map(({ cell, result }) => ({ id: cell.id, ...(result as ThroughputCellResult) }));
  const pytorch = results.find((r) => r.pytorch !== undefined)?.pytorch ?? {
    available: false as const,
    reason: 'not measured',
  };
  const workersCell = results.find((r) => r.id.startsWith('workers/'));
  const result = throughputResult(
    results.flatMap((r) => r.outputs),
    pytorch,
    THROUGHPUT_SIZES[mode],
    backends,
    workersCell?.machine.cores ?? 1,
  );
  const machines = machineReport(results);
  return {
    ...result,
    data: { ...result.data, machines: results.map(({ id, machine }) => ({ id, ...machine })) },
    tables: [...result.tables, ...machines.tables],
    findings: [...result.findings, ...machines.findings],
  };
}
