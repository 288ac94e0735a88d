import { InvalidArgumentError } from '@dpo-ts/core';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import type { JobKind } from '@dpo-ts/queue';
import type { Benchmark, BenchmarkMode } from '../harness/benchmark.js';
import { type CellBenchmark, isCellBenchmark } from '../harness/cells.js';

/** Name of the job kind of benchmark cells. */
export const BENCH_CELL_KIND = 'bench-cell';

/** A benchmark cell as a job: which benchmark, the run's mode and seeds, the backend, the cell. */
export interface BenchCellPayload {
  readonly benchmark: string;
  readonly cellId: string;
  readonly mode: BenchmarkMode;
  readonly seed: number;
  readonly seeds: readonly number[];
  /** The backend the producer asked for; the worker selects the same, so numbers match. */
  readonly backend: BackendRequest;
  readonly cell: unknown;
}

const MODES: readonly BenchmarkMode[] = ['smoke', 'quick', 'full'];
const BACKENDS: readonly BackendRequest[] = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'];

/**
 * The `bench-cell` job kind over a registry of benchmarks: validates the payload (a known cell
 * benchmark, mode, seeds, backend, then the benchmark's own check of the cell) and runs the cell
 * on the backend the producer named.
 */
export function benchCellKind(
  benchmarks: readonly Benchmark[],
): JobKind<BenchCellPayload & { target: CellBenchmark }, unknown> {
  const cellBenchmarks = new Map(benchmarks.filter(isCellBenchmark).map((b) => [b.name, b]));
  return {
    name: BENCH_CELL_KIND,
    validate(payload) {
      const p = payload as Partial<BenchCellPayload> | null;
      if (p === null || typeof p !== 'object') throw new InvalidArgumentError('payload', 'an object', payload);
      const target = cellBenchmarks.get(p.benchmark as string);
      if (target === undefined)
        throw new InvalidArgumentError(
          'payload.benchmark',
          `a benchmark split into cells (${[...cellBenchmarks.keys()].join(', ')})`,
          p.benchmark,
        );
      if (typeof p.cellId !== 'string') throw new InvalidArgumentError('payload.cellId', 'a string', p.cellId);
      if (!MODES.includes(p.mode as BenchmarkMode))
        throw new InvalidArgumentError('payload.mode', MODES.join(' | '), p.mode);
      if (!BACKENDS.includes(p.backend as BackendRequest))
        throw new InvalidArgumentError('payload.backend', BACKENDS.join(' | '), p.backend);
      if (!Number.isInteger(p.seed)) throw new InvalidArgumentError('payload.seed', 'an integer', p.seed);
      if (!Array.isArray(p.seeds) || !p.seeds.every(Number.isInteger))
        throw new InvalidArgumentError('payload.seeds', 'an array of integers', p.seeds);
      target.validateCell(p.cell);
      return { ...(p as BenchCellPayload), target };
    },
    async run({ target, ...payload }, context) {
      await selectBackend({ backend: payload.backend, gradientOverrides: 'default', quiet: true });
      return target.runCell(payload.cell, {
        mode: payload.mode,
        seed: payload.seed,
        seeds: payload.seeds,
        backend: payload.backend,
        log: context.log,
        ...(context.signal ? { signal: context.signal } : {}),
      });
    },
  };
}
