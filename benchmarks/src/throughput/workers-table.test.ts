import { describe, expect, it } from 'vitest';
import type { StepMeasurement } from './measure.js';
import type { PyTorchComparison } from './pytorch.js';
import type { WorkerOutput } from './worker.js';
import { workerMeasurements, workersTable } from './workers-table.js';

function measured(workers: number | undefined, medianSeconds: number, cpuSecondsPerStep?: number): WorkerOutput {
  const measurement: StepMeasurement = {
    step: 'dpo',
    label: 'DPO step (lm DPOTrainer, frozen reference), 16 pairs',
    unit: 'tokens',
    units: 2048,
    pairs: 16,
    flops: 1e9,
    parameters: 1000,
    warmup: 1,
    stepSeconds: [medianSeconds],
    medianSeconds,
    unitsPerSecond: 2048 / medianSeconds,
    pairsPerSecond: 16 / medianSeconds,
    gflops: 1 / medianSeconds,
    leakedTensors: [0],
    lastMetrics: {},
    ...(workers === undefined ? {} : { workers }),
    ...(cpuSecondsPerStep === undefined ? {} : { cpuSecondsPerStep }),
  };
  return { kind: 'measured', backend: 'wasm', backendDetail: '', measurement, peakRssMiB: 1, loadAverage: [1, 1] };
}

const PYTORCH: PyTorchComparison = {
  available: true,
  python: 'python3',
  torch: '1.13',
  timings: [
    { threads: 1, medianSeconds: 0.5, stepSeconds: [0.5], torch: '1.13', blas: 'openblas' },
    { threads: 2, medianSeconds: 0.4, stepSeconds: [0.4], torch: '1.13', blas: 'openblas' },
  ],
  errors: [],
};

describe('workersTable', () => {
  it('reports speedup, efficiency, CPU time and the ratios to PyTorch on 1 and N threads', () => {
    const outputs = [measured(undefined, 3), measured(1, 2, 1.9), measured(2, 1.25, 2.2)];
    expect(workerMeasurements(outputs)).toHaveLength(2); // the per-backend row is not in the table
    const table = workersTable(outputs, PYTORCH, 2)!;
    expect(table.rows).toHaveLength(2);
    // 2 s -> 1.25 s: 1.6x on 2 workers = 80%; 1.25 / 0.5 = 2.5x PyTorch's one thread, 1.25 / 0.4 = 3.13x its two.
    expect(table.rows[1]).toEqual([
      'DPO step, 16 pairs',
      2,
      1250,
      2200,
      '12.8 pairs/s',
      '1.60x',
      '80%',
      '2.50x',
      '3.13x',
      '1 -> 1',
    ]);
    expect(table.rows[0]![5]).toBe('1.00x');
  });

  it('is absent without worker measurements', () => {
    expect(workersTable([measured(undefined, 1)], PYTORCH, 2)).toBeUndefined();
  });
});
