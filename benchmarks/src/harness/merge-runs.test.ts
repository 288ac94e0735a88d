import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testEnvironment } from './environment.test-helper.js';
import { mergeRuns } from './merge-runs.js';
import { publishBanner } from './publish.js';
import { summaryEntry, type BenchmarkRecord, type SuiteSummary } from './records.js';

const environment = (date: string) => testEnvironment('full', date, [0, 1, 2]);

function record(name: string, wallSeconds: number, date: string, status: 'ok' | 'failed' = 'ok'): BenchmarkRecord {
  return {
    format: 'dpo-ts.benchmark-result',
    version: 1,
    name,
    title: `Title of ${name}`,
    description: `What ${name} does.`,
    status,
    failures: status === 'ok' ? [] : ['a check'],
    mode: 'full',
    expectedMinutes: 60,
    environment: environment(date),
    wallSeconds,
    peakRssMiB: 500,
    processPeakRssMiB: 500,
    loadAverage: { start: 2, end: 2 },
    tensors: { before: 0, after: 0 },
    data: { answer: name.length },
    tables: [{ title: `Table of ${name}`, columns: ['a'], rows: [[1]] }],
    plots: [{ title: 'Plot', file: 'plot.svg', specFile: 'plot.vl.json' }],
    images: [],
    findings: [`${name} found something`],
  };
}

/** Writes a run folder the way the runner does: summary.json, report.md, <name>/result.json + files. */
function writeRun(dir: string, records: readonly BenchmarkRecord[], mode: SuiteSummary['mode'] = 'full'): void {
  for (const r of records) {
    mkdirSync(join(dir, r.name), { recursive: true });
    writeFileSync(join(dir, r.name, 'result.json'), JSON.stringify(r));
    writeFileSync(join(dir, r.name, 'plot.svg'), `<svg>${r.name}</svg>`);
  }
  const summary: SuiteSummary = {
    format: 'dpo-ts.benchmark-summary',
    version: 1,
    ok: records.every((r) => r.status === 'ok'),
    mode,
    environment: records[0]!.environment,
    wallSeconds: records.reduce((sum, r) => sum + r.wallSeconds, 0) + 1,
    benchmarks: records.map(summaryEntry),
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  writeFileSync(join(dir, 'report.md'), '# report');
}

describe('mergeRuns', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dpo-ts-merge-'));
    writeRun(join(root, 'a'), [record('alpha', 3600, '2026-01-01T00:00:00.000Z')]);
    writeRun(join(root, 'b'), [
      record('beta', 1800, '2026-01-01T00:01:00.000Z'),
      record('gamma', 60, '2026-01-01T00:31:00.000Z', 'failed'),
    ]);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('copies every benchmark folder, sums the wall times and rewrites the report from the results', () => {
    const into = join(root, 'merged');
    const merged = mergeRuns(into, [join(root, 'a'), join(root, 'b')]);
    expect(merged.benchmarks.map((entry) => entry.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(merged.wallSeconds).toBe(3600 + 1800 + 60);
    expect(merged.ok).toBe(false); // gamma failed
    expect(merged.mergedFrom.map((source) => source.benchmarks)).toEqual([['alpha'], ['beta', 'gamma']]);
    expect(merged.environment.date).toBe('2026-01-01T00:00:00.000Z');
    expect(readFileSync(join(into, 'beta', 'plot.svg'), 'utf8')).toBe('<svg>beta</svg>');
    expect(JSON.parse(readFileSync(join(into, 'summary.json'), 'utf8'))).toEqual(merged);
    const report = readFileSync(join(into, 'report.md'), 'utf8');
    expect(report).toContain('# dpo-ts benchmarks (full run)');
    expect(report).toContain(
      'Total 1h 31m; **some benchmarks failed**. Merged from 2 runs that ran side by side, one per core: `alpha` (started 2026-01-01T00:00:00.000Z, 1h 00m)',
    );
    expect(report).toContain('- beta found something');
    expect(report).toContain('![Plot](gamma/plot.svg)');
    expect(publishBanner(merged)).toContain(
      '(2 runs side by side, one per core: alpha; beta + gamma; merged with `dpo-ts bench merge`)',
    );
  });

  it('refuses mixed modes, a benchmark twice, a missing run, a single run and a non-empty target', () => {
    writeRun(join(root, 'q'), [record('delta', 10, '2026-01-01T00:00:00.000Z')], 'quick');
    writeRun(join(root, 'a2'), [record('alpha', 10, '2026-01-01T00:00:00.000Z')]);
    const into = join(root, 'merged');
    expect(() => mergeRuns(into, [join(root, 'a'), join(root, 'q')])).toThrow('every run must have the same mode');
    expect(() => mergeRuns(into, [join(root, 'a'), join(root, 'a2')])).toThrow('benchmark alpha is in both');
    expect(() => mergeRuns(into, [join(root, 'a'), join(root, 'none')])).toThrow(
      'is not a benchmark run (no summary.json)',
    );
    expect(() => mergeRuns(into, [join(root, 'a')])).toThrow('expected at least 2 run folders to merge, got 1');
    expect(existsSync(into)).toBe(false); // nothing written by the failed merges
    mkdirSync(into);
    writeFileSync(join(into, 'keep.txt'), 'mine');
    expect(() => mergeRuns(into, [join(root, 'a'), join(root, 'b')])).toThrow('expected an empty or absent folder');
    expect(readFileSync(join(into, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
