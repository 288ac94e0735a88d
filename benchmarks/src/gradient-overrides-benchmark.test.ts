import { describe, expect, it } from 'vitest';
import {
  planGradientOverridesCells,
  reduceGradientOverrides,
  validateGradientOverridesCell,
} from './gradient-overrides-benchmark.js';
import type { Timing } from './gradient-overrides.js';

const timing = (label: string, ms: number | null, backend: 'wasm' | 'cpu' = 'wasm'): Timing => ({
  label,
  backend,
  overrides: label === 'own' ? [] : ['BatchMatMul'],
  ms,
  gflops: ms === null ? null : 1,
  samplesMs: ms === null ? [] : [ms],
  ...(ms === null ? { error: 'no kernel', tensorsLeftOnError: 3 } : {}),
});
const machine = (host: string) => ({ host, cpu: 'Test CPU', cores: 2 });

describe('gradient-overrides cells', () => {
  it('plans the LM step, each matmul product and the conv step per backend', () => {
    expect(planGradientOverridesCells('smoke').map((cell) => cell.id)).toEqual([
      'lm',
      'matmul/0',
      'matmul/1',
      'conv/wasm',
      'conv/cpu',
    ]);
    expect(planGradientOverridesCells('quick')).toHaveLength(8);
  });

  it('refuses bad cells naming the field', () => {
    const [lm, matmul] = planGradientOverridesCells('smoke');
    expect(validateGradientOverridesCell(lm!.payload)).toBe(lm!.payload);
    expect(() => validateGradientOverridesCell({ ...(matmul!.payload as object), product: 9 })).toThrow(
      'cell.product must be an integer in [0, 5): got 9',
    );
    expect(() => validateGradientOverridesCell({ part: 'fft', steps: 1, warmup: 0 })).toThrow('cell.part');
  });

  it('reduces cells into the report, marking the machines when they differ', () => {
    const plan = planGradientOverridesCells('smoke');
    const results = [
      [timing('own', 20), timing('override', 10)],
      [timing('own', 4), timing('override', 2)],
      [timing('own', null), timing('override', 3)],
      [timing('own', null), timing('override', 5)],
      [timing('own', 50, 'cpu'), timing('override', 25, 'cpu')],
    ];
    const cells = plan.map((cell, i) => ({
      cell,
      result: { timings: results[i]!, machine: machine(i < 3 ? 'a' : 'b') },
    }));
    const report = reduceGradientOverrides(cells, 'smoke');
    expect(report.tables[0]!.rows.map((row) => row[4])).toEqual(['1.00x', '2.00x']);
    expect(report.tables[1]!.rows.map((row) => row[3])).toEqual(['2.00x', '-']);
    expect(report.findings[0]).toContain('2.0x faster (20 -> 10 ms)');
    expect(report.findings.at(-1)).toContain('ran on 2 machines');
    expect(report.tables.at(-1)!.rows.map((row) => row[1])).toEqual([
      'a (Test CPU, 2 cores)',
      'a (Test CPU, 2 cores)',
      'a (Test CPU, 2 cores)',
      'b (Test CPU, 2 cores)',
      'b (Test CPU, 2 cores)',
    ]);
    const one = reduceGradientOverrides(
      cells.map(({ cell, result }) => ({ cell, result: { ...result, machine: machine('a') } })),
      'smoke',
    );
    expect(one.tables).toHaveLength(3);
    expect(one.findings.at(-1)).toBe('Every timing was measured on one machine: a (Test CPU, 2 cores).');
  });
});
