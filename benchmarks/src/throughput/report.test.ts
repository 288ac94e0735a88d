import { describe, expect, it } from 'vitest';
import { dpoStepFlops, gptForwardFlops, gptMatmulParameters, sftStepFlops } from './flops.js';
import type { StepMeasurement } from './measure.js';
import { leakFailures, throughputResult } from './report.js';
import { GPT_D128_SHAPE, THROUGHPUT_SIZES, repetitions, sizesFor, workerRepetitions } from './sizes.js';
import type { WorkerOutput } from './worker.js';

function measurement(
  step: string,
  medianSeconds: number,
  leaked: number[],
  extra: Partial<StepMeasurement> = {},
): StepMeasurement {
  return {
    step,
    label: `${step.toUpperCase()} step`,
    unit: 'tokens',
    units: 2048,
    flops: 4e9,
    parameters: 800_000,
    warmup: 1,
    stepSeconds: [medianSeconds],
    medianSeconds,
    unitsPerSecond: 2048 / medianSeconds,
    gflops: 4 / medianSeconds,
    leakedTensors: leaked,
    lastMetrics: {},
    ...extra,
  };
}

const measured = (backend: 'wasm' | 'cpu', m: StepMeasurement): WorkerOutput => ({
  kind: 'measured',
  backend,
  backendDetail: 'test',
  measurement: m,
  peakRssMiB: 500,
  loadAverage: [1, 1],
});

describe('FLOP counts', () => {
  it('counts the d 128 GPT as 12 L d^2 + d V matmul weights and 4 L T^2 d of attention', () => {
    expect(gptMatmulParameters(GPT_D128_SHAPE)).toBe(12 * 4 * 128 ** 2 + 128 * 96);
    expect(gptForwardFlops(GPT_D128_SHAPE, 64)).toBe(64 * 2 * (12 * 4 * 128 ** 2 + 128 * 96) + 4 * 4 * 64 ** 2 * 128);
    // A DPO pair (2 rows, policy forward + backward and reference forward) costs 8/3 of an SFT row.
    expect(dpoStepFlops(GPT_D128_SHAPE, 1) / sftStepFlops(GPT_D128_SHAPE, 1)).toBeCloseTo(8 / 3, 12);
  });
});

describe('repetitions', () => {
  it('gives every step a warm-up, and cpu smaller batches in quick mode', () => {
    expect(repetitions('quick', 'cpu', 'ppo')).toEqual({ warmup: 0, steps: 1 });
    expect(sizesFor('quick', 'cpu')).toMatchObject({ dpoPairs: 2, sftRows: 4 });
    expect(sizesFor('full', 'cpu')).toBe(THROUGHPUT_SIZES.full);
    expect(repetitions('quick', 'wasm', 'dpo')).toEqual({ warmup: 1, steps: 3 });
    expect(repetitions('smoke', 'cpu', 'ppo')).toEqual({ warmup: 1, steps: 1 });
  });

  it('gives the worker-threads table three more warm-up steps and at least 5 timed ones', () => {
    expect(workerRepetitions(repetitions('quick', 'wasm', 'dpo'))).toEqual({ warmup: 4, steps: 5 });
    expect(workerRepetitions(repetitions('quick', 'wasm', 'ppo'))).toEqual({ warmup: 4, steps: 1 });
    expect(workerRepetitions(repetitions('full', 'wasm', 'dpo'))).toEqual({ warmup: 5, steps: 10 });
    expect(workerRepetitions({ warmup: 0, steps: 0, skipReason: 'no' })).toEqual({
      warmup: 0,
      steps: 0,
      skipReason: 'no',
    });
  });
});

describe('throughputResult', () => {
  const sizes = THROUGHPUT_SIZES.quick;

  it('reports a leak as a failed check and keeps the rows', () => {
    const outputs: WorkerOutput[] = [
      measured('wasm', measurement('dpo', 1, [0, 2, 2])),
      measured('wasm', measurement('sft', 0.5, [0])),
    ];
    expect(leakFailures(outputs)).toEqual(['DPO step on wasm leaked tensors per step: 0, 2, 2']);
    const result = throughputResult(outputs, { available: false, reason: 'no Python with torch found' }, sizes, [
      'wasm',
    ]);
    expect(result.failures).toEqual(['DPO step on wasm leaked tensors per step: 0, 2, 2']);
    expect(result.tables[0]!.rows).toHaveLength(2);
    expect(result.findings).toContain('No PyTorch comparison: no Python with torch found.');
  });

  it('compares wasm with cpu and PyTorch, and lists unavailable backends', () => {
    const outputs: WorkerOutput[] = [
      measured('wasm', measurement('dpo', 1, [0, 0], { pairs: 16, pairsPerSecond: 16 })),
      measured('cpu', measurement('dpo', 30, [], { units: 256, unitsPerSecond: 256 / 30, pairs: 2 })),
      { kind: 'unavailable', backend: 'webgpu', reason: 'the "webgpu" package is not installed' },
      { kind: 'failed', backend: 'cpu', step: 'sft', error: 'boom' },
    ];
    const result = throughputResult(
      outputs,
      {
        available: true,
        python: 'python3',
        torch: '2.1',
        timings: [
          { threads: 1, medianSeconds: 0.25, stepSeconds: [0.25], torch: '2.1', blas: '/usr/lib/libopenblas.so' },
        ],
        errors: [],
      },
      sizes,
      ['wasm', 'cpu', 'webgpu'],
    );
    expect(result.failures).toEqual(['sft on cpu failed: boom']);
    expect(result.findings.join('\n')).toContain(
      'cpu (pure JS) trains DPO 240x slower than wasm per token (cpu measured at 2 pairs per step)',
    );
    expect(result.findings.join('\n')).toContain('dpo-ts on wasm (1 thread) takes 4.0x as long');
    const pytorch = result.tables.find((t) => t.title.startsWith('The same DPO step in PyTorch'))!;
    expect(pytorch.rows[1]).toEqual(['PyTorch 2.1 (OpenBLAS)', 1, 0.25, 64, 16, '4.00']);
    const backends = result.tables.find((t) => t.title === 'Backends')!;
    expect(backends.rows).toEqual([
      ['wasm', 'measured', 'test'],
      ['cpu', '1 step(s) failed', 'test'],
      ['webgpu', 'unavailable', 'the "webgpu" package is not installed'],
    ]);
    expect(result.plots[0]!.file).toBe('gflops.svg');
  });
});
