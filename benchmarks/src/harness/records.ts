import type { BenchmarkMode, ReportImage, ReportTable } from './benchmark.js';
import type { RunEnvironment } from './environment.js';

/** A plot as written: the SVG file (absent when rendering failed) and its Vega-Lite spec file. */
export interface PlotRecord {
  readonly title: string;
  /** The SVG file inside the benchmark's folder; null when rendering failed (see `error`). */
  readonly file: string | null;
  /** The Vega-Lite spec beside it (`<name>.vl.json`), to re-render or restyle. */
  readonly specFile: string;
  readonly error?: string;
}

/** `<out>/<name>/result.json`: everything a benchmark measured, with the run's environment. */
export interface BenchmarkRecord {
  readonly format: 'dpo-ts.benchmark-result';
  readonly version: 1;
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** `ok`; `failed` when run() threw or reported failures (the data kept is what it returned). */
  readonly status: 'ok' | 'failed';
  /** run()'s error, when it threw. */
  readonly error?: { readonly message: string; readonly stack?: string };
  /** Checks that failed (from the benchmark or the runner). */
  readonly failures: readonly string[];
  readonly mode: BenchmarkMode;
  readonly expectedMinutes: number;
  readonly environment: RunEnvironment;
  readonly wallSeconds: number;
  /** Peak RSS sampled while this benchmark ran, MiB. */
  readonly peakRssMiB: number;
  /** The process's peak RSS up to the end of this benchmark (getrusage), MiB. */
  readonly processPeakRssMiB: number;
  /** 1-minute load average when the benchmark started and ended (2 cores: above 2 means contention). */
  readonly loadAverage: { readonly start: number; readonly end: number };
  /** Live tfjs tensors before and after run(): a difference is a leak across the benchmark. */
  readonly tensors: { readonly before: number; readonly after: number };
  readonly data: Record<string, unknown>;
  readonly tables: readonly ReportTable[];
  readonly plots: readonly PlotRecord[];
  readonly images: readonly ReportImage[];
  readonly findings: readonly string[];
}

/** One benchmark's line in `summary.json`. */
export interface SummaryEntry {
  readonly name: string;
  readonly title: string;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly failures: readonly string[];
  readonly wallSeconds: number;
  readonly expectedMinutes: number;
  readonly peakRssMiB: number;
  /** Relative to the run's folder: `<name>/result.json`. */
  readonly result: string;
  readonly report: string;
}

/** `<out>/summary.json`: the run at a glance. */
export interface SuiteSummary {
  readonly format: 'dpo-ts.benchmark-summary';
  readonly version: 1;
  readonly ok: boolean;
  readonly mode: BenchmarkMode;
  readonly environment: RunEnvironment;
  readonly wallSeconds: number;
  readonly benchmarks: readonly SummaryEntry[];
}

/** The summary line of a record. */
export function summaryEntry(record: BenchmarkRecord): SummaryEntry {
  return {
    name: record.name,
    title: record.title,
    status: record.status,
    ...(record.error ? { error: record.error.message } : {}),
    failures: record.failures,
    wallSeconds: record.wallSeconds,
    expectedMinutes: record.expectedMinutes,
    peakRssMiB: record.peakRssMiB,
    result: `${record.name}/result.json`,
    report: `${record.name}/report.md`,
  };
}
