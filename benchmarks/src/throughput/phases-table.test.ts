import { describe, expect, it } from 'vitest';
import type { StepMeasurement } from './measure.js';
import { workerPhasesTable } from './phases-table.js';
import type { WorkerOutput } from './worker.js';

function measured(workers: number | undefined, phaseSeconds?: Record<string, number>): WorkerOutput {
  const measurement: StepMeasurement = {
    step: 'dpo',
    label: 'DPO step (lm DPOTrainer, frozen reference), 16 pairs',
    unit: 'tokens',
    units: 2048,
    pairs: 16,
    flops: 1e9,
    parameters: 1000,
    warmup: 2,
    stepSeconds: [0.6],
    medianSeconds: 0.6,
    unitsPerSecond: 2048 / 0.6,
    pairsPerSecond: 16 / 0.6,
    gflops: 1 / 0.6,
    leakedTensors: [0],
    lastMetrics: {},
    ...(workers === undefined ? {} : { workers }),
    ...(phaseSeconds === undefined ? {} : { phaseSeconds }),
  };
  return { kind: 'measured', backend: 'wasm', backendDetail: '', measurement, peakRssMiB: 1, loadAverage: [1, 1] };
}

describe('workerPhasesTable', () => {
  it('lists each phase in milliseconds, in step order, blank where a phase was not logged', () => {
    const table = workerPhasesTable([
      measured(undefined, { 'time/compute': 1 }), // the per-backend row is not in the table
      measured(2, { 'time/reference': 0, 'time/compute': 0.5123, 'time/idle': 0.0204, 'time/apply': 0.015 }),
    ])!;
    expect(table.columns.slice(0, 4)).toEqual(['step', 'workers', 'ms / step', 'reference']);
    expect(table.rows).toEqual([['DPO step, 16 pairs', 2, 600, 0, null, null, 512, null, 20, null, null, null, 15]]);
  });

  it('is absent when no worker measurement logged phases', () => {
    expect(workerPhasesTable([measured(2), measured(undefined)])).toBeUndefined();
  });
});
