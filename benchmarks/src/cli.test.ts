import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildProgram, listBenchmarks } from './cli.js';
import type { Benchmark } from './harness/benchmark.js';
import { lossVariantsBenchmark } from './loss-variants/index.js';
import { planLossVariantCells } from './loss-variants/settings.js';

const BENCHMARK: Benchmark = {
  name: 'demo',
  title: 'Demo',
  description: 'A benchmark for the CLI tests.',
  expectedMinutes: { smoke: 0.5, quick: 3, full: 60 },
  run: async () => ({ data: {}, tables: [], plots: [], images: [], findings: [] }),
};

describe('dpo-ts CLI', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dpo-ts-cli-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists names, expected minutes per mode and descriptions', async () => {
    const lines: string[] = [];
    await buildProgram([BENCHMARK], (line) => lines.push(line)).parseAsync(['bench', 'list'], { from: 'user' });
    expect(lines).toEqual([listBenchmarks([BENCHMARK])]);
    expect(lines[0]).toContain('| demo | 0.5 | 3 | 60 | A benchmark for the CLI tests. |');
  });

  it('rejects conflicting modes and unknown backends', async () => {
    const program = buildProgram(
      [BENCHMARK],
      () => {},
      () => {},
    );
    await expect(program.parseAsync(['bench', '--smoke', '--full'], { from: 'user' })).rejects.toThrow(
      /cannot be used with/,
    );
    const other = buildProgram(
      [BENCHMARK],
      () => {},
      () => {},
    );
    await expect(other.parseAsync(['bench', '--backend', 'tpu'], { from: 'user' })).rejects.toThrow(
      /Allowed choices are auto, wasm, cpu, webgpu, tensorflow/,
    );
  });

  it('--store runs cells here and keeps their results by key, so a rerun computes only the missing ones', async () => {
    const store = join(root, 'store');
    // runSuite prints its progress; keep the test output quiet.
    const quiet = [vi.spyOn(console, 'log'), vi.spyOn(console, 'error'), vi.spyOn(console, 'warn')].map((spy) =>
      spy.mockImplementation(() => {}),
    );
    onTestFinished(() => {
      for (const spy of quiet) spy.mockRestore();
    });
    const run = () =>
      buildProgram([lossVariantsBenchmark], () => {}).parseAsync(
        ['bench', 'loss-variants', '--smoke', '--backend', 'cpu', '--out', join(root, 'out'), '--store', store],
        { from: 'user' },
      );
    const files = () =>
      readdirSync(store, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.json'))
        .sort();
    await run();
    const first = files();
    expect(first).toHaveLength(planLossVariantCells('smoke', [0]).length);
    const kept = join(store, first[0]!);
    const keptTime = statSync(kept).mtimeMs;
    rmSync(join(store, first[1]!));
    await run();
    expect(files()).toEqual(first);
    // The stored result was reused, not computed and written again.
    expect(statSync(kept).mtimeMs).toBe(keptTime);
    const summary = JSON.parse(readFileSync(join(root, 'out', 'summary.json'), 'utf8')) as { ok: boolean };
    expect(summary.ok).toBe(true);
  });

  it('rejects --store with --queue', async () => {
    const program = buildProgram(
      [BENCHMARK],
      () => {},
      () => {},
    );
    await expect(
      program.parseAsync(['bench', '--store', join(root, 's'), '--queue', 'redis://localhost:6379'], { from: 'user' }),
    ).rejects.toThrow(/cannot be used with/);
  });

  it('publishes a run into a docs folder', async () => {
    const run = join(root, 'run');
    mkdirSync(join(run, 'demo'), { recursive: true });
    writeFileSync(join(run, 'demo', 'plot.svg'), '<svg/>');
    writeFileSync(join(run, 'report.md'), '# dpo-ts benchmarks (full run)\n\n![p](demo/plot.svg)\n');
    writeFileSync(
      join(run, 'summary.json'),
      JSON.stringify({
        mode: 'full',
        wallSeconds: 60,
        environment: {
          cpu: 'CPU',
          cores: 2,
          date: '2026-01-01T00:00:00Z',
          gitCommit: null,
          backend: { name: 'wasm', overrides: [] },
        },
      }),
    );
    const lines: string[] = [];
    const to = join(root, 'docs', 'results');
    await buildProgram([BENCHMARK], (line) => lines.push(line)).parseAsync(['bench', 'publish', run, '--to', to], {
      from: 'user',
    });
    expect(lines[0]).toMatch(/^published .* \(2 files in .*results\)$/);
    const page = readFileSync(`${to}.md`, 'utf8');
    expect(page).toContain('![p](results/demo/plot.svg)');
    expect(page).toContain('> Last full run: 2026-01-01');
  });
});
