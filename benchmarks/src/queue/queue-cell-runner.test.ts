import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileResultStore } from '@dpo-ts/queue';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BenchmarkRecord } from '../harness/records.js';
import { runSuite } from '../harness/runner.js';
import { lossVariantsBenchmark } from '../loss-variants/index.js';
import { queueCellRunner } from './queue-cell-runner.js';
import { workerKinds } from './worker-kinds.js';

const readRecord = (dir: string): BenchmarkRecord =>
  JSON.parse(readFileSync(join(dir, 'loss-variants', 'result.json'), 'utf8')) as BenchmarkRecord;

describe('queueCellRunner without a queue URL', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dpo-ts-cells-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives the same report content as a plain run, and a rerun takes every cell from the store', async () => {
    const common = { benchmarks: [lossVariantsBenchmark], mode: 'smoke', backend: 'cpu', seed: 4 } as const;
    await runSuite({ ...common, outDir: join(root, 'plain'), log: () => {} });
    const runner = queueCellRunner({
      url: undefined,
      kinds: workerKinds([lossVariantsBenchmark]),
      codeVersion: 'test',
      store: new FileResultStore(join(root, 'results')),
      backend: 'cpu',
    });
    const lines: string[] = [];
    await runSuite({ ...common, outDir: join(root, 'cells'), log: (line) => lines.push(line), cellRunner: runner });
    const plain = readRecord(join(root, 'plain'));
    const cells = readRecord(join(root, 'cells'));
    expect(cells.status).toBe('ok');
    expect(cells.data).toEqual(plain.data);
    expect(cells.tables).toEqual(plain.tables);
    expect(cells.findings).toEqual(plain.findings);
    expect(lines.some((line) => line.includes('cells: 2/2 jobs (0 cached, 0 failed)'))).toBe(true);

    const again: string[] = [];
    await runSuite({ ...common, outDir: join(root, 'again'), log: (line) => again.push(line), cellRunner: runner });
    expect(again.some((line) => line.includes('cells: 2/2 jobs (2 cached, 0 failed)'))).toBe(true);
    expect(readRecord(join(root, 'again')).data).toEqual(plain.data);
  });
});
