import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KERNEL_PROFILE_TOP,
  kernelProfileTable,
  profileStep,
  profiles,
  summarizeKernels,
  type KernelRecord,
} from './kernel-profile.js';
import type { StepMeasurement } from './measure.js';
import { throughputResult } from './report.js';
import { THROUGHPUT_SIZES } from './sizes.js';
import type { ThroughputStep } from './steps.js';
import type { WorkerOutput } from './worker.js';

const record = (name: string, ms: number | { error: string }, ...shapes: number[][]): KernelRecord => ({
  name,
  kernelTimeMs: ms,
  inputShapes: shapes,
});

beforeAll(async () => {
  await tf.setBackend('cpu');
  // Silence the cpu backend's one-time "install tfjs-node" banner in test logs.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
});

describe('summarizeKernels', () => {
  it('totals time and calls per kernel, ranks them, and gives shares of the wall time', () => {
    const profile = summarizeKernels(
      'dpo',
      [
        record('BatchMatMul', 30, [64, 32], [32, 64]),
        record('Sum', 5, [64, 64]),
        record('BatchMatMul', 10, [8, 4], [4, 8]),
        record('BatchMatMul', 20, [64, 32], [32, 64]),
        record('Softmax', { error: 'no timer' }, [64, 64]),
      ],
      100,
    );
    expect(profile).toMatchObject({ step: 'dpo', wallMs: 100, kernelMs: 65, calls: 5 });
    expect(profile.top.map((k) => [k.kernel, k.totalMs, k.calls, k.share])).toEqual([
      ['BatchMatMul', 60, 3, 0.6],
      ['Sum', 5, 1, 0.05],
      ['Softmax', 0, 1, 0],
    ]);
    expect(profile.top[0]!.topShapes).toEqual([
      { shapes: '[64,32]x[32,64]', totalMs: 50, calls: 2 },
      { shapes: '[8,4]x[4,8]', totalMs: 10, calls: 1 },
    ]);
  });

  it(`keeps the top ${KERNEL_PROFILE_TOP} kernels`, () => {
    const records = Array.from({ length: 20 }, (_, i) => record(`K${i}`, i + 1));
    const profile = summarizeKernels('sft', records, 1000);
    expect(profile.top).toHaveLength(KERNEL_PROFILE_TOP);
    expect(profile.top[0]!.kernel).toBe('K19');
    expect(profile.top.at(-1)!.kernel).toBe('K5');
    expect(profile.kernelMs).toBe(210); // 1 + 2 + ... + 20: every kernel, not only the top
  });
});

describe('profileStep', () => {
  it('counts every kernel call of a step, and leaves no tensor behind', async () => {
    const step: ThroughputStep = {
      name: 'dpo',
      label: 'test step',
      unit: 'tokens',
      units: 1,
      flops: 1,
      parameters: 1,
      run: async () => {
        const value = tf.tidy(() => tf.sum(tf.matMul(tf.ones([4, 3]), tf.ones([3, 2]))));
        const data = await value.data();
        value.dispose();
        return { value: data[0]! };
      },
      dispose: () => {},
    };
    const before = tf.memory().numTensors;
    const profile = await profileStep(step, 0);
    expect(tf.memory().numTensors).toBe(before);
    const byName = Object.fromEntries(profile.top.map((k) => [k.kernel, k.calls]));
    // ones x2 (Fill), the matmul, the sum: one BatchMatMul and one Sum call whatever else tfjs adds.
    expect(byName.BatchMatMul).toBe(1);
    expect(byName.Sum).toBe(1);
    expect(profile.top.find((k) => k.kernel === 'BatchMatMul')!.topShapes[0]!.shapes).toBe('[4,3]x[3,2]');
    expect(profile.wallMs).toBeGreaterThanOrEqual(profile.kernelMs);
  });

  it('profiles the DPO step on every backend but cpu', () => {
    expect(profiles('wasm', 'dpo')).toBe(true);
    expect(profiles('cpu', 'dpo')).toBe(false);
    expect(profiles('wasm', 'sft')).toBe(false);
  });
});

describe('the profile in the throughput report', () => {
  it('becomes a table, a finding and result data', () => {
    const kernelProfile = summarizeKernels(
      'dpo',
      [record('BatchMatMul', 600, [2, 3]), record('Sum', 150), record('Add', 50)],
      1000,
    );
    const measurement: StepMeasurement = {
      step: 'dpo',
      label: 'DPO step',
      unit: 'tokens',
      units: 2048,
      pairs: 16,
      pairsPerSecond: 16,
      flops: 4e9,
      parameters: 800_000,
      warmup: 1,
      stepSeconds: [1],
      medianSeconds: 1,
      unitsPerSecond: 2048,
      gflops: 4,
      leakedTensors: [0],
      lastMetrics: {},
    };
    const outputs: WorkerOutput[] = [
      {
        kind: 'measured',
        backend: 'wasm',
        backendDetail: 'test',
        measurement,
        peakRssMiB: 500,
        loadAverage: [1, 1],
        kernelProfile,
      },
    ];
    const result = throughputResult(outputs, { available: false, reason: 'none here' }, THROUGHPUT_SIZES.quick, [
      'wasm',
    ]);
    const table = result.tables.find((t) => t.title.startsWith('Kernel profile'))!;
    expect(table).toEqual(kernelProfileTable(kernelProfile, 'DPO step', 'wasm'));
    expect(table.rows[0]).toEqual(['BatchMatMul', 600, 1, '60.0%', '[2,3] (600.0, 1)']);
    expect(result.findings).toContain(
      "Where one DPO step's time goes on wasm: BatchMatMul 60% (1 calls), Sum 15% (1 calls), Add 5% (1 calls); all kernels 80% of the step.",
    );
    expect((result.data as { kernelProfiles: unknown[] }).kernelProfiles).toEqual([
      { backend: 'wasm', ...kernelProfile },
    ]);
  });
});
