import { STEP_PHASE_METRICS, type StepPhase } from '@dpo-ts/core/parallel';
import type { ReportTable } from '../harness/benchmark.js';
import type { WorkerOutput } from './worker.js';
import { workerMeasurements } from './workers-table.js';

/** The phases the table shows, in the order a step runs them. */
const PHASES: readonly StepPhase[] = [
  'reference',
  'publish',
  'load',
  'compute',
  'copy',
  'idle',
  'wake',
  'imbalance',
  'reduce',
  'apply',
];

/**
 * Where a step of the 1-vs-N-workers table spends its time: the median milliseconds of each
 * phase core's micro-batch step logs with `DPO_TS_STEP_PHASES=1` (core's `STEP_PHASE_METRICS`),
 * one row per step and worker count. Worker phases (load, compute, copy, idle) are means over
 * the workers. Undefined when no measurement logged phases.
 */
export function workerPhasesTable(outputs: readonly WorkerOutput[]): ReportTable | undefined {
  const measured = workerMeasurements(outputs).filter((o) => o.measurement.phaseSeconds !== undefined);
  if (measured.length === 0) return undefined;
  const ms = (seconds: number | undefined) => (seconds === undefined ? null : Math.round(seconds * 1000));
  return {
    title: 'Data-parallel workers: where a step spends its time (ms, median over the timed steps)',
    columns: ['step', 'workers', 'ms / step', ...PHASES],
    rows: measured.map(({ measurement: m }) => [
      m.label.replace(/ \(.*?\)/, ''),
      m.workers!,
      ms(m.medianSeconds),
      ...PHASES.map((phase) => ms(m.phaseSeconds![STEP_PHASE_METRICS[phase]])),
    ]),
    note:
      'reference: frozen reference scores on the main thread (0 when each worker scores its own micro-batches with a reference replica); ' +
      'publish: weights copied to shared memory; load: a worker copying them into its replica; compute: forward and backward of its micro-batches; ' +
      'copy: its gradients into shared slots; idle: its wait for the rest of the step, of which wake: from the call being posted to the worker starting it, ' +
      "and imbalance: from its last gradient handed over to the last worker's (the rest of idle is the finishing messages); " +
      'reduce: the ordered gradient sum (built by the workers in micro-batch order, all workers together) and its conversion to tensors; apply: clipping and AdamW. Worker phases are means over the workers; ' +
      "with 1 worker, compute and reduce are the main thread's. Timed with performance.now() in each thread: on a loaded machine every phase stretches.",
  };
}
