import { describe, expect, it } from 'vitest';
import {
  planThroughputCells,
  reduceThroughput,
  THROUGHPUT_STEPS_ENV,
  throughputStepFilter,
  validateThroughputCell,
} from './cells.js';

const context = { mode: 'smoke' as const, seed: 0, seeds: [0], log: () => {} };

describe('throughput cells', () => {
  it('plans one cell per backend, the worker-threads table and PyTorch', () => {
    expect(planThroughputCells(context).map((cell) => cell.id)).toEqual([
      'backend/wasm',
      'backend/cpu',
      'backend/webgpu',
      'backend/tensorflow',
      'workers/wasm',
      'pytorch',
    ]);
    expect(planThroughputCells({ ...context, backend: 'cpu' }).map((cell) => cell.id)).toEqual([
      'backend/cpu',
      'workers/cpu',
      'pytorch',
    ]);
  });

  it('limits the backend and workers cells to the steps DPO_TS_THROUGHPUT_STEPS names', () => {
    expect(throughputStepFilter(undefined)).toBeUndefined();
    expect(throughputStepFilter('')).toBeUndefined();
    expect(throughputStepFilter('dpo, sft')).toEqual(['dpo', 'sft']);
    expect(() => throughputStepFilter('dpo,rlhf')).toThrow(
      'DPO_TS_THROUGHPUT_STEPS must be comma-separated dpo | sft | ppo | diffusion-dpo | ddpo: got "dpo,rlhf"',
    );
    const saved = process.env[THROUGHPUT_STEPS_ENV];
    process.env[THROUGHPUT_STEPS_ENV] = 'dpo,sft';
    try {
      expect(planThroughputCells({ ...context, backend: 'wasm' }).map((cell) => cell.payload)).toEqual([
        { part: 'backend', backend: 'wasm', steps: ['dpo', 'sft'] },
        { part: 'workers', backend: 'wasm', steps: ['dpo', 'sft'] },
        { part: 'pytorch' },
      ]);
    } finally {
      if (saved === undefined) delete process.env[THROUGHPUT_STEPS_ENV];
      else process.env[THROUGHPUT_STEPS_ENV] = saved;
    }
    expect(() => validateThroughputCell({ part: 'workers', backend: 'wasm', steps: ['dpo', 'rlhf'] })).toThrow(
      'cell.steps must be an array of dpo | sft | ppo | diffusion-dpo | ddpo',
    );
  });

  it('refuses bad cells naming the field', () => {
    expect(validateThroughputCell({ part: 'pytorch' })).toEqual({ part: 'pytorch' });
    expect(() => validateThroughputCell({ part: 'backend', backend: 'metal' })).toThrow(
      'cell.backend must be wasm | cpu | webgpu | tensorflow: got "metal"',
    );
  });

  it('marks the machine of each cell when the cells ran on several', () => {
    const plan = planThroughputCells({ ...context, backend: 'cpu' });
    const machine = (host: string) => ({ host, cpu: 'Test CPU', cores: 2 });
    const unavailable = { kind: 'unavailable', backend: 'cpu', reason: 'test' };
    const results = [
      { outputs: [unavailable], machine: machine('a') },
      { outputs: [], machine: machine('b') },
      { outputs: [], pytorch: { available: false, reason: 'no torch' }, machine: machine('b') },
    ];
    const report = reduceThroughput(
      plan.map((cell, i) => ({ cell, result: results[i] })),
      'smoke',
      ['cpu'],
    );
    expect(report.findings.at(-1)).toContain('ran on 2 machines');
    expect(report.tables.at(-1)!.rows).toEqual([
      ['backend/cpu', 'a (Test CPU, 2 cores)'],
      ['workers/cpu', 'b (Test CPU, 2 cores)'],
      ['pytorch', 'b (Test CPU, 2 cores)'],
    ]);
  });
});
