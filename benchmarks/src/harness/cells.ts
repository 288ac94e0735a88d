import type { BackendRequest } from '@dpo-ts/core/backend';
import type { Benchmark, BenchmarkContext, BenchmarkMode, BenchmarkResult } from './benchmark.js';

/**
 * One unit of a benchmark that runs on its own: a (method, setting, seed) of a comparison.
 * Its payload is JSON, so the cell can run in another process or on another machine.
 */
export interface BenchmarkCell {
  /** Unique within the benchmark, readable: `sigmoid/beta=0.1/seed=0`. */
  readonly id: string;
  /** Everything the cell needs besides the {@link CellContext} (JSON). */
  readonly payload: unknown;
  /** Estimated seconds on 2 cores (wasm), to weight the ETA. */
  readonly estimateSeconds: number;
}

/** What a cell gets besides its payload: the run's mode and seeds, never an output folder. */
export interface CellContext {
  readonly mode: BenchmarkMode;
  readonly seed: number;
  readonly seeds: readonly number[];
  /**
   * The backend the run asked for (`--backend`), undefined for the default. Workers select it
   * before each cell; a benchmark that measures several backends plans its cells from it.
   */
  readonly backend?: BackendRequest;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** A cell with the JSON result it produced. */
export interface CellResult {
  readonly cell: BenchmarkCell;
  readonly result: unknown;
}

/**
 * A benchmark split into independent cells and a reduce step: `plan` lists the cells, each
 * `runCell` computes one cell's JSON result (anywhere: here, another process, another machine),
 * and `reduce` turns every cell's result into the report on the machine that writes it.
 * `run` is {@link runCellsInProcess}; a queue runs the cells on workers and calls `reduce` with
 * results that are the same numbers, so both give the same report content.
 */
export interface CellBenchmark extends Benchmark {
  plan(context: CellContext): readonly BenchmarkCell[];
  /**
   * Cells that depend on earlier results (a later stage): called with every result so far once
   * the cells planned before have run; returns the next stage's cells, or none when the plan is
   * complete. Absent: the plan has one stage. Example: a sweep on one seed, then the setting it
   * chose on fresh seeds.
   */
  planNext?(context: CellContext, done: readonly CellResult[]): readonly BenchmarkCell[];
  /**
   * Checks a payload from the queue.
   * @throws Error naming the bad field.
   */
  validateCell(payload: unknown): void;
  /** Computes one cell; the result must be JSON (it travels through Redis and the result store). */
  runCell(payload: unknown, context: CellContext): Promise<unknown>;
  /** Writes plots and images into `context.outDir` and returns the report from every cell's result, in plan order. */
  reduce(cells: readonly CellResult[], context: BenchmarkContext): Promise<BenchmarkResult>;
}

/** Whether a benchmark is split into cells. */
export function isCellBenchmark(benchmark: Benchmark): benchmark is CellBenchmark {
  const candidate = benchmark as Partial<CellBenchmark>;
  return (
    typeof candidate.plan === 'function' &&
    typeof candidate.runCell === 'function' &&
    typeof candidate.validateCell === 'function' &&
    typeof candidate.reduce === 'function'
  );
}

/** The {@link CellContext} of a benchmark context. */
export function cellContext(context: BenchmarkContext): CellContext {
  return {
    mode: context.mode,
    seed: context.seed,
    seeds: context.seeds,
    ...(context.backend === undefined ? {} : { backend: context.backend }),
    log: context.log,
    ...(context.signal ? { signal: context.signal } : {}),
  };
}

/**
 * Runs a cell benchmark's cells one after another here, then reduces them. Each result makes a
 * JSON round trip, as through a queue, so the two ways see the same values.
 */
export async function runCellsInProcess(benchmark: CellBenchmark, context: BenchmarkContext): Promise<BenchmarkResult> {
  const here: CellRunner = async (_benchmark, planned, cells) => {
    const results: CellResult[] = [];
    for (const cell of planned) {
      if (context.signal?.aborted) throw new Error(`${benchmark.name}: aborted`);
      const result = await benchmark.runCell(cell.payload, cells);
      results.push({ cell, result: JSON.parse(JSON.stringify(result ?? null)) });
    }
    return results;
  };
  return benchmark.reduce(await runCellStages(benchmark, here, cellContext(context)), context);
}

/**
 * Every stage of a cell benchmark's plan through one runner: `plan`, then `planNext` with all
 * results so far until it returns no cells. Results come back in plan order, stage after stage.
 * @throws Error when a stage plans a cell id that an earlier stage already ran.
 */
export async function runCellStages(
  benchmark: CellBenchmark,
  runner: CellRunner,
  context: CellContext,
): Promise<CellResult[]> {
  const results: CellResult[] = [];
  const seen = new Set<string>();
  let planned = benchmark.plan(context);
  while (planned.length > 0) {
    for (const cell of planned) {
      if (seen.has(cell.id)) throw new Error(`${benchmark.name}: cell ${cell.id} is planned twice`);
      seen.add(cell.id);
    }
    results.push(...(await runner(benchmark, planned, context)));
    planned = benchmark.planNext?.(context, results) ?? [];
  }
  return results;
}

/**
 * Runs a cell benchmark's cells elsewhere (a queue) and returns their results in plan order.
 * @throws Error naming the cells that failed for good.
 */
export type CellRunner = (
  benchmark: CellBenchmark,
  cells: readonly BenchmarkCell[],
  context: CellContext,
) => Promise<CellResult[]>;
