import type { BackendRequest } from '@dpo-ts/core/backend';

/**
 * How much a benchmark run does:
 * - `smoke`: minutes in all, for CI: every code path, tiny sizes; numbers are not meaningful.
 * - `quick`: the default; every benchmark together finishes in under 15 minutes on 2 cores.
 * - `full`: the sizes whose results are published in docs/results.md (hours on 2 cores).
 */
export type BenchmarkMode = 'smoke' | 'quick' | 'full';

/** How many seeds the runner passes in {@link BenchmarkContext.seeds} per mode. */
export const MODE_SEED_COUNTS: Readonly<Record<BenchmarkMode, number>> = Object.freeze({ smoke: 1, quick: 2, full: 5 });

/** What a benchmark gets from the runner. */
export interface BenchmarkContext {
  readonly mode: BenchmarkMode;
  /** This benchmark's own output folder (created); write plots, grids, JSON here. */
  readonly outDir: string;
  /** Base seed; each benchmark derives its own seeds from it. */
  readonly seed: number;
  /**
   * Seeds to repeat stochastic measurements with (for spread), starting with `seed`: one in
   * smoke, two in quick, five in full ({@link MODE_SEED_COUNTS}). A benchmark may use fewer.
   */
  readonly seeds: readonly number[];
  /** Backend requested on the command line (the runner has already selected it). */
  readonly backend: BackendRequest | undefined;
  /** Progress lines (phase, step, loss, ETA) go here; the runner prefixes the benchmark name. */
  readonly log: (line: string) => void;
  /** Aborts the run (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** A table for the Markdown report. Cells are preformatted strings or numbers. */
export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
  /** One paragraph under the table: what was measured, how, caveats. */
  readonly note?: string;
}

/** A plot: a Vega-Lite spec the runner renders to SVG (and embeds in the Markdown report). */
export interface ReportPlot {
  readonly title: string;
  /** File name inside the benchmark's outDir, ending in `.svg`. */
  readonly file: string;
  /** A complete Vega-Lite v6 spec with inline data (`data: { values: [...] }`). */
  readonly spec: Record<string, unknown>;
}

/** An image the benchmark wrote itself (a PNG sample grid). */
export interface ReportImage {
  readonly title: string;
  /** File name inside the benchmark's outDir. */
  readonly file: string;
}

/** What a benchmark returns; the runner writes `<outDir>/result.json` and the report. */
export interface BenchmarkResult {
  /** Everything measured, JSON-serialisable (numbers, per-seed values, configs). */
  readonly data: Record<string, unknown>;
  readonly tables: readonly ReportTable[];
  readonly plots: readonly ReportPlot[];
  readonly images: readonly ReportImage[];
  /** Findings in words, honest about what the numbers do and do not show. */
  readonly findings: readonly string[];
  /**
   * Checks that failed (a tensor leak, a metric out of range). The runner keeps and reports the
   * result, and marks the benchmark failed (the command exits non-zero). Throw instead only when
   * there is nothing worth keeping.
   */
  readonly failures?: readonly string[];
}

/** One benchmark of the suite. */
export interface Benchmark {
  /** CLI name: `dpo-ts bench <name>`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Expected wall-clock minutes on 2 CPU cores (wasm) per mode, for the docs and the ETA. */
  readonly expectedMinutes: Readonly<Record<BenchmarkMode, number>>;
  run(context: BenchmarkContext): Promise<BenchmarkResult>;
}
