import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectBackend, type BackendInfo } from '@dpo-ts/core/backend';
import type { Benchmark, BenchmarkContext } from './benchmark.js';
import type { BenchmarkRecord, SuiteSummary } from './records.js';
import { runSuite, seedsFor } from './runner.js';
import { selectBenchmarks } from './select-benchmarks.js';

// A stub backend: the runner's logic is tested without loading tfjs backends.
const STUB_BACKEND: BackendInfo = {
  name: 'cpu',
  requested: 'cpu',
  package: 'stub',
  overrides: [],
  builtinGradients: true,
};
const stubSelect = async () => STUB_BACKEND;

function fake(name: string, run: (context: BenchmarkContext) => ReturnType<Benchmark['run']>): Benchmark {
  return {
    name,
    title: `Benchmark ${name}`,
    description: `What ${name} measures.`,
    expectedMinutes: { smoke: 0.1, quick: 1, full: 10 },
    run,
  };
}

const good = fake('good', async (context) => {
  context.log('halfway');
  return {
    data: { seeds: context.seeds, mode: context.mode },
    tables: [{ title: 'Numbers', columns: ['x', 'y'], rows: [['a', 1.5]] }],
    plots: [
      {
        title: 'A plot',
        file: 'plot.svg',
        spec: {
          data: { values: [{ x: 1, y: 2 }] },
          mark: 'point',
          encoding: { x: { field: 'x', type: 'quantitative' } },
        },
      },
      { title: 'Broken', file: 'broken.svg', spec: { mark: 'no-such-mark' } },
    ],
    images: [{ title: 'Samples', file: 'samples.png' }],
    findings: ['It works.'],
  };
});
const throwing = fake('throwing', async () => {
  throw new Error('out of memory');
});
const checking = fake('checking', async () => ({
  data: { leaked: 3 },
  tables: [],
  plots: [],
  images: [],
  findings: [],
  failures: ['leaked 3 tensors'],
}));

describe('runSuite', () => {
  let out: string;
  // The runner counts live tensors, which needs a backend; the stub stands in for selection only.
  beforeAll(() => selectBackend({ backend: 'cpu', quiet: true }));
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'dpo-ts-bench-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('keeps every result when a benchmark fails, and reports the failure', async () => {
    const lines: string[] = [];
    const summary = await runSuite({
      benchmarks: [throwing, good, checking],
      mode: 'quick',
      outDir: out,
      seed: 7,
      log: (line) => lines.push(line),
      selectBackend: stubSelect,
    });

    expect(summary.ok).toBe(false);
    expect(summary.benchmarks.map((entry) => [entry.name, entry.status])).toEqual([
      ['throwing', 'failed'],
      ['good', 'ok'],
      ['checking', 'failed'],
    ]);
    expect(summary.benchmarks[0]!.error).toBe('out of memory');
    const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SuiteSummary;
    expect(onDisk.benchmarks).toHaveLength(3);

    const record = JSON.parse(readFileSync(join(out, 'good', 'result.json'), 'utf8')) as BenchmarkRecord;
    expect(record.data).toEqual({ seeds: [7, 8], mode: 'quick' });
    expect(record.environment).toMatchObject({
      mode: 'quick',
      seed: 7,
      seeds: [7, 8],
      node: process.version,
      backend: { name: 'cpu' },
    });
    expect(record.environment.cores).toBeGreaterThan(0);
    expect(typeof record.environment.cpu).toBe('string');
    expect(record.environment.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(record.wallSeconds).toBeGreaterThanOrEqual(0);
    expect(record.peakRssMiB).toBeGreaterThan(0);
    expect(record.tables[0]!.title).toBe('Numbers');
    expect(record.findings).toEqual(['It works.']);
    expect(record.plots[0]).toEqual({ title: 'A plot', file: 'plot.svg', specFile: 'plot.vl.json' });
    expect(record.plots[1]).toMatchObject({ title: 'Broken', file: null });
    expect(readFileSync(join(out, 'good', 'plot.svg'), 'utf8')).toMatch(/^<svg/);
    expect(existsSync(join(out, 'good', 'plot.vl.json'))).toBe(true);

    const failed = JSON.parse(readFileSync(join(out, 'throwing', 'result.json'), 'utf8')) as BenchmarkRecord;
    expect(failed).toMatchObject({ status: 'failed', error: { message: 'out of memory' }, data: {} });
    const checked = JSON.parse(readFileSync(join(out, 'checking', 'result.json'), 'utf8')) as BenchmarkRecord;
    expect(checked).toMatchObject({ status: 'failed', failures: ['leaked 3 tensors'], data: { leaked: 3 } });

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('# dpo-ts benchmarks (quick run)');
    expect(report).toContain('![A plot](good/plot.svg)');
    expect(report).toContain('![Samples](good/samples.png)');
    expect(report).toContain('**Error:** `out of memory`');
    expect(report).toContain('- leaked 3 tensors');
    expect(readFileSync(join(out, 'good', 'report.md'), 'utf8')).toContain('![A plot](plot.svg)');

    expect(lines.some((line) => /^\[2\/3 good \| \S+ \| ETA \S+( \S+)?\] halfway$/.test(line))).toBe(true);
    expect(lines.at(-1)).toContain('FAILED: throwing, checking');
  });

  it('re-selects the backend by name before each benchmark', async () => {
    const requests: unknown[] = [];
    await runSuite({
      benchmarks: [good],
      mode: 'smoke',
      outDir: out,
      log: () => {},
      backend: 'auto',
      selectBackend: async (options) => {
        requests.push(options);
        return STUB_BACKEND;
      },
    });
    expect(requests).toEqual([{ backend: 'auto' }, { backend: 'cpu', gradientOverrides: 'default', quiet: true }]);
  });
});

describe('seedsFor and selectBenchmarks', () => {
  it('gives each mode its seed count', () => {
    expect([seedsFor('smoke', 3), seedsFor('quick', 3), seedsFor('full', 3)]).toEqual([[3], [3, 4], [3, 4, 5, 6, 7]]);
  });

  it('selects by name, in the order given, and names unknown benchmarks', () => {
    expect(selectBenchmarks([good, throwing], []).map((b) => b.name)).toEqual(['good', 'throwing']);
    expect(selectBenchmarks([good, throwing], ['throwing', 'good', 'throwing']).map((b) => b.name)).toEqual([
      'throwing',
      'good',
    ]);
    expect(() => selectBenchmarks([good], ['nope'])).toThrow('unknown benchmark "nope": known are good');
  });
});
