import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testEnvironment } from './environment.test-helper.js';
import { publishRun } from './publish.js';
import type { SuiteSummary } from './records.js';

const SUMMARY = {
  format: 'dpo-ts.benchmark-summary',
  version: 1,
  ok: true,
  mode: 'quick',
  wallSeconds: 600,
  environment: testEnvironment('quick'),
  benchmarks: [],
} satisfies SuiteSummary;

describe('publishRun', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dpo-ts-publish-'));
    const run = join(root, 'run');
    mkdirSync(join(run, 'speed'), { recursive: true });
    writeFileSync(join(run, 'summary.json'), JSON.stringify(SUMMARY));
    writeFileSync(join(run, 'speed', 'plot.svg'), '<svg/>');
    writeFileSync(join(run, 'speed', 'grid.png'), 'png');
    writeFileSync(join(run, 'speed', 'result.json'), '{}');
    writeFileSync(
      join(run, 'report.md'),
      [
        '# dpo-ts benchmarks (quick run)',
        '',
        '[Speed](#speed) and [the paper](https://arxiv.org/abs/2305.18290)',
        '![Plot](speed/plot.svg)',
        '![Grid](speed/grid.png "samples")',
        'Data: [result.json](speed/result.json); missing: [gone](speed/gone.svg)',
      ].join('\n'),
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('copies linked files and rewrites links relative to the report', () => {
    const to = join(root, 'docs', 'results');
    const published = publishRun(join(root, 'run'), { to });
    expect(published.report).toBe(`${to}.md`);
    expect([...published.files].sort()).toEqual([
      'speed/grid.png',
      'speed/plot.svg',
      'speed/result.json',
      'summary.json',
    ]);
    expect(readFileSync(join(to, 'speed', 'plot.svg'), 'utf8')).toBe('<svg/>');
    const page = readFileSync(`${to}.md`, 'utf8').split('\n');
    expect(page[0]).toBe('# dpo-ts benchmarks (quick run)');
    expect(page[2]).toContain(
      '**This is a quick run, not a full run**: 2026-01-02 (commit 0123456789) on Test CPU, 2 cores',
    );
    expect(page).toContain('![Plot](results/speed/plot.svg)');
    expect(page).toContain('![Grid](results/speed/grid.png "samples")');
    expect(page).toContain('[Speed](#speed) and [the paper](https://arxiv.org/abs/2305.18290)');
    expect(page).toContain('Data: [result.json](results/speed/result.json); missing: [gone](speed/gone.svg)');
  });

  it('writes a report elsewhere with links relative to it, replacing an earlier publication', () => {
    const to = join(root, 'docs', 'results');
    publishRun(join(root, 'run'), { to });
    writeFileSync(join(to, 'stale.svg'), 'old');
    publishRun(join(root, 'run'), { to, report: join(root, 'docs', 'guide', 'results.md') });
    expect(existsSync(join(to, 'stale.svg'))).toBe(false);
    expect(readFileSync(join(root, 'docs', 'guide', 'results.md'), 'utf8')).toContain(
      '![Plot](../results/speed/plot.svg)',
    );
  });

  it('refuses to replace a folder that is not a publication, and a folder that is not a run', () => {
    const to = join(root, 'precious');
    mkdirSync(to);
    writeFileSync(join(to, 'notes.md'), 'mine');
    expect(() => publishRun(join(root, 'run'), { to })).toThrow('refusing to replace');
    expect(readFileSync(join(to, 'notes.md'), 'utf8')).toBe('mine');
    expect(() => publishRun(join(root, 'nothing'), { to: join(root, 'x') })).toThrow('is not a benchmark run');
  });
});
