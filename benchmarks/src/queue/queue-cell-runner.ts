import type { BackendRequest } from '@dpo-ts/core/backend';
import { type JobKindRegistry, type JobResultStore, formatJobProgress, runJobs } from '@dpo-ts/queue';
import type { CellRunner } from '../harness/cells.js';
import { BENCH_CELL_KIND, type BenchCellPayload } from './bench-cell-kind.js';

/** Options of {@link queueCellRunner}. */
export interface QueueCellRunnerOptions {
  /** Redis URL; undefined runs the cells here (through the same keys and store). */
  readonly url: string | undefined;
  /** Must hold the `bench-cell` kind ({@link workerKinds}). */
  readonly kinds: JobKindRegistry;
  readonly codeVersion: string;
  /** Where cell results are kept by key, so a rerun resumes. */
  readonly store: JobResultStore;
  /** The backend the workers select for every cell. */
  readonly backend: BackendRequest;
  /** Sweep interval of the producer, ms. @defaultValue 1000 */
  readonly pollMilliseconds?: number;
}

/**
 * A {@link CellRunner} that runs every cell as a `bench-cell` job and logs fleet-wide progress
 * with an ETA after each finished cell.
 * @throws Error naming every cell that failed for good (retries exhausted, refused).
 */
export function queueCellRunner(options: QueueCellRunnerOptions): CellRunner {
  return async (benchmark, cells, context) => {
    const outcomes = await runJobs({
      jobs: cells.map((cell) => ({
        kind: BENCH_CELL_KIND,
        payload: {
          benchmark: benchmark.name,
          cellId: cell.id,
          mode: context.mode,
          seed: context.seed,
          seeds: context.seeds,
          backend: options.backend,
          cell: cell.payload,
        } satisfies BenchCellPayload,
        estimateSeconds: cell.estimateSeconds,
      })),
      kinds: options.kinds,
      codeVersion: options.codeVersion,
      store: options.store,
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(options.pollMilliseconds === undefined ? {} : { pollMilliseconds: options.pollMilliseconds }),
      log: context.log,
      onProgress: (progress) => context.log(`cells: ${formatJobProgress(progress)}`),
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const failed = outcomes.flatMap((outcome, i) =>
      outcome.status === 'failed' ? [`${cells[i]!.id}: ${outcome.error}`] : [],
    );
    if (failed.length > 0) throw new Error(`${failed.length} of ${cells.length} cell(s) failed: ${failed.join('; ')}`);
    return outcomes.map((outcome, i) => ({ cell: cells[i]!, result: (outcome as { result: unknown }).result }));
  };
}
