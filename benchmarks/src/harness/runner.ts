import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo, type BackendRequest } from '@dpo-ts/core/backend';
import {
  MODE_SEED_COUNTS,
  type Benchmark,
  type BenchmarkContext,
  type BenchmarkMode,
  type BenchmarkResult,
  type ReportPlot,
} from './benchmark.js';
import { type CellRunner, cellContext, isCellBenchmark, runCellStages } from './cells.js';
import { collectEnvironment, processPeakRssMiB, startRssSampler, type RunEnvironment } from './environment.js';
import { benchmarkReport, suiteReport } from './markdown.js';
import { SuiteProgress, formatDuration } from './progress.js';
import { summaryEntry, type BenchmarkRecord, type PlotRecord, type SuiteSummary } from './records.js';
import { renderVegaLiteToSvg } from './render-plot.js';

/** Options of {@link runSuite}. */
export interface RunSuiteOptions {
  /** The benchmarks to run, in order (see `selectBenchmarks`). */
  readonly benchmarks: readonly Benchmark[];
  readonly mode: BenchmarkMode;
  /** The run's folder; each benchmark writes into `<outDir>/<name>/`. */
  readonly outDir: string;
  /** Backend to select; undefined: `DPO_TS_BACKEND`, else 'auto' (core's rules). */
  readonly backend?: BackendRequest;
  /** Base seed. @defaultValue 0 */
  readonly seed?: number;
  /** Progress lines. @defaultValue console.log */
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Selects the backend; tests pass a stub. @defaultValue core's selectBackend */
  readonly selectBackend?: typeof selectBackend;
  /** Seconds clock for progress and wall times; tests pass a fake one. */
  readonly clock?: () => number;
  /**
   * Runs the cells of cell benchmarks elsewhere (`dpo-ts bench --queue`); the other benchmarks
   * run here. @defaultValue undefined: every benchmark runs here
   */
  readonly cellRunner?: CellRunner;
}

/** The seeds a mode runs with: `seed, seed + 1, ...`, {@link MODE_SEED_COUNTS} of them. */
export function seedsFor(mode: BenchmarkMode, seed: number): number[] {
  return Array.from({ length: MODE_SEED_COUNTS[mode] }, (_, i) => seed + i);
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Checks that a plot's file stays inside the benchmark folder and ends in .svg. */
function plotPath(plot: ReportPlot): string {
  const file = normalize(plot.file);
  if (!file.endsWith('.svg') || file.startsWith('..') || file.startsWith('/')) {
    throw new Error(
      `plot "${plot.title}": file must be a relative path ending in .svg inside the benchmark folder: got ${plot.file}`,
    );
  }
  return file;
}

/** Writes each plot's spec and renders it to SVG; a plot that fails is recorded, not thrown. */
async function writePlots(dir: string, plots: readonly ReportPlot[]): Promise<PlotRecord[]> {
  const records: PlotRecord[] = [];
  for (const plot of plots) {
    const specFile = `${plot.file.replace(/\.svg$/, '')}.vl.json`;
    try {
      const file = plotPath(plot);
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, specFile), `${JSON.stringify(plot.spec, null, 2)}\n`);
      writeFileSync(join(dir, file), await renderVegaLiteToSvg(plot.spec));
      records.push({ title: plot.title, file, specFile });
    } catch (error) {
      records.push({ title: plot.title, file: null, specFile, error: message(error) });
    }
  }
  return records;
}

function checkResult(result: unknown): BenchmarkResult {
  const candidate = result as Partial<BenchmarkResult> | undefined;
  for (const field of ['tables', 'plots', 'images', 'findings'] as const) {
    if (!Array.isArray(candidate?.[field]))
      throw new Error(`run() must return a BenchmarkResult: ${field} is not an array`);
  }
  if (candidate?.data === null || typeof candidate?.data !== 'object')
    throw new Error('run() must return a BenchmarkResult: data is not an object');
  return candidate as BenchmarkResult;
}

const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/**
 * Runs benchmarks one after another and writes their results, reports and plots.
 *
 * Selects the backend once (and re-selects it, with its default gradient overrides, before each
 * benchmark, since a benchmark may switch backends); prints progress lines prefixed with the
 * benchmark, the elapsed time and the suite's ETA; catches a failing benchmark and goes on.
 * Writes `<outDir>/<name>/result.json`, `report.md`, each plot as `.svg` (+ `.vl.json`), and,
 * after every benchmark (so an interrupted run keeps what finished), `<outDir>/report.md`
 * and `<outDir>/summary.json`.
 *
 * @returns the summary; `ok` is false when any benchmark failed (the CLI exits 1).
 */
export async function runSuite(options: RunSuiteOptions): Promise<SuiteSummary> {
  const { benchmarks, mode, outDir } = options;
  const seed = options.seed ?? 0;
  const log = options.log ?? ((line: string) => console.log(line));
  const select = options.selectBackend ?? selectBackend;
  const clock = options.clock ?? (() => performance.now() / 1000);
  const seeds = seedsFor(mode, seed);
  mkdirSync(outDir, { recursive: true });
  const backend: BackendInfo = await select(options.backend === undefined ? {} : { backend: options.backend });
  const environment: RunEnvironment = collectEnvironment({ backend, mode, seed, seeds });
  const progress = new SuiteProgress(
    benchmarks.map((b) => ({ name: b.name, expectedMinutes: b.expectedMinutes[mode] })),
    clock,
  );
  const expected = benchmarks.reduce((sum, b) => sum + b.expectedMinutes[mode], 0);
  log(
    `dpo-ts bench: ${benchmarks.length} benchmark(s), ${mode} mode, expected ~${formatDuration(expected * 60)} on 2 cores; training workers: auto, up to ${availableParallelism()} per step; writing ${outDir}`,
  );
  const records: BenchmarkRecord[] = [];

  for (const [index, benchmark] of benchmarks.entries()) {
    progress.start(index);
    const dir = join(outDir, benchmark.name);
    mkdirSync(dir, { recursive: true });
    const base = {
      format: 'dpo-ts.benchmark-result',
      version: 1,
      name: benchmark.name,
      title: benchmark.title,
      description: benchmark.description,
      mode,
      expectedMinutes: benchmark.expectedMinutes[mode],
      environment,
    } as const;
    if (options.signal?.aborted) {
      progress.finish();
      records.push({
        ...base,
        status: 'failed',
        error: { message: 'not run: the run was aborted' },
        failures: [],
        wallSeconds: 0,
        peakRssMiB: 0,
        processPeakRssMiB: processPeakRssMiB(),
        loadAverage: { start: 0, end: 0 },
        tensors: { before: 0, after: 0 },
        data: {},
        tables: [],
        plots: [],
        images: [],
        findings: [],
      });
      continue;
    }
    log(`${progress.prefix()} start: ${benchmark.title}`);
    await select({ backend: backend.name, gradientOverrides: 'default', quiet: true });
    const loadAtStart = loadavg()[0]!;
    const sampler = startRssSampler();
    const tensorsBefore = tf.memory().numTensors;
    let result: BenchmarkResult | undefined;
    let error: BenchmarkRecord['error'];
    try {
      const context: BenchmarkContext = {
        mode,
        outDir: dir,
        seed,
        seeds,
        backend: options.backend,
        log: (line) => log(`${progress.prefix()} ${line}`),
        ...(options.signal ? { signal: options.signal } : {}),
      };
      const cells = cellContext(context);
      result = checkResult(
        options.cellRunner && isCellBenchmark(benchmark)
          ? await benchmark.reduce(await runCellStages(benchmark, options.cellRunner, cells), context)
          : await benchmark.run(context),
      );
    } catch (caught) {
      error = { message: message(caught), ...(caught instanceof Error && caught.stack ? { stack: caught.stack } : {}) };
    }
    const peakRssMiB = sampler.stop();
    const wallSeconds = progress.finish();
    const tensors = { before: tensorsBefore, after: tf.memory().numTensors };
    const plots = await writePlots(dir, result?.plots ?? []);
    const failures = [...(result?.failures ?? [])];
    const record: BenchmarkRecord = {
      ...base,
      status: error || failures.length ? 'failed' : 'ok',
      ...(error ? { error } : {}),
      failures,
      wallSeconds,
      peakRssMiB,
      processPeakRssMiB: processPeakRssMiB(),
      loadAverage: { start: round2(loadAtStart), end: round2(loadavg()[0]!) },
      tensors,
      data: result?.data ?? {},
      tables: result?.tables ?? [],
      plots,
      images: result?.images ?? [],
      findings: result?.findings ?? [],
    };
    records.push(record);
    writeJson(join(dir, 'result.json'), record);
    writeFileSync(join(dir, 'report.md'), benchmarkReport(record));
    const outcome = error
      ? `FAILED: ${error.message.split('\n', 1)[0]}`
      : failures.length
        ? `FAILED checks: ${failures.join('; ')}`
        : 'done';
    log(
      `${progress.prefix()} ${outcome} in ${formatDuration(wallSeconds)}; peak RSS ${Math.round(peakRssMiB)} MiB; wrote ${join(dir, 'result.json')}`,
    );
    if (tensors.after > tensors.before)
      log(
        `${progress.prefix()} warning: ${tensors.after - tensors.before} tfjs tensors still live after the benchmark`,
      );
    for (const plot of plots)
      if (plot.error) log(`${progress.prefix()} warning: plot "${plot.title}" not rendered: ${plot.error}`);
    writeSuite(outDir, environment, mode, records, progress.elapsed());
  }
  const summary = writeSuite(outDir, environment, mode, records, progress.elapsed());
  const failed = summary.benchmarks.filter((entry) => entry.status === 'failed').map((entry) => entry.name);
  log(
    `dpo-ts bench: ${failed.length ? `FAILED: ${failed.join(', ')}` : 'all benchmarks finished'} in ${formatDuration(summary.wallSeconds)}; report: ${join(outDir, 'report.md')}`,
  );
  return summary;
}

function writeSuite(
  outDir: string,
  environment: RunEnvironment,
  mode: BenchmarkMode,
  records: readonly BenchmarkRecord[],
  wallSeconds: number,
): SuiteSummary {
  const summary: SuiteSummary = {
    format: 'dpo-ts.benchmark-summary',
    version: 1,
    ok: records.every((record) => record.status === 'ok'),
    mode,
    environment,
    wallSeconds,
    benchmarks: records.map(summaryEntry),
  };
  writeJson(join(outDir, 'summary.json'), summary);
  writeFileSync(join(outDir, 'report.md'), suiteReport(summary, records));
  return summary;
}
