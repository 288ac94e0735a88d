import { describe, expect, it } from 'vitest';
import { testEnvironment } from './environment.test-helper.js';
import { benchmarkSection, environmentLine } from './markdown.js';
import type { BenchmarkRecord } from './records.js';

describe('seeds in the report', () => {
  it('calls the runner seeds offered and shows the seeds a benchmark used in its own line', () => {
    const environment = testEnvironment('full', undefined, [0, 1, 2, 3, 4]);
    expect(environmentLine(environment)).toContain('seeds offered 0, 1, 2, 3, 4');
    expect(environmentLine(environment)).toContain(`training workers: auto, up to ${environment.cores} per step`);
    const record = {
      format: 'dpo-ts.benchmark-result',
      version: 1,
      name: 'x',
      title: 'X',
      description: 'd',
      status: 'ok',
      failures: [],
      mode: 'full',
      expectedMinutes: 1,
      environment,
      wallSeconds: 60,
      peakRssMiB: 100,
      processPeakRssMiB: 100,
      loadAverage: { start: 1, end: 1 },
      tensors: { before: 0, after: 0 },
      data: { seeds: [0, 1, 2] },
      tables: [],
      plots: [],
      images: [],
      findings: [],
    } satisfies BenchmarkRecord;
    expect(benchmarkSection(record)).toContain('seeds used 0, 1, 2 ·');
    expect(benchmarkSection({ ...record, data: {} })).not.toContain('seeds used');
    expect(benchmarkSection({ ...record, data: { seeds: [1, 2], selectionSeed: 0 } })).toContain(
      'seeds used 1, 2 (settings chosen on seed 0) ·',
    );
  });
});
