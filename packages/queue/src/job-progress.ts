import { formatDuration } from '@dpo-ts/core/training';

/** Where a set of jobs stands, across every worker of the fleet. */
export interface JobProgress {
  /** Jobs in the run, duplicates included. */
  readonly total: number;
  /** Finished: computed now, or found in the result store (`cached`). */
  readonly done: number;
  /** Of `done`, how many were found already stored (not run again). */
  readonly cached: number;
  /** Failed for good (retries exhausted, refused payload or version). */
  readonly failed: number;
  /** Seconds since the tracker was created. */
  readonly elapsedSeconds: number;
  /** Estimated seconds until every job is finished; undefined before the first computed job. */
  readonly etaSeconds: number | undefined;
}

/** One line for logs: `12/40 jobs (3 cached, 0 failed), 1m 05s elapsed, ETA 4m 10s`. */
export function formatJobProgress(progress: JobProgress): string {
  const eta = progress.etaSeconds === undefined ? '?' : formatDuration(progress.etaSeconds);
  return `${progress.done}/${progress.total} jobs (${progress.cached} cached, ${progress.failed} failed), ${formatDuration(progress.elapsedSeconds)} elapsed, ETA ${eta}`;
}

/**
 * Counts finished jobs and estimates the time left from the pace so far:
 *
 *   eta = elapsed * (weight of jobs left) / (weight of jobs computed since the start)
 *
 * where a job's weight is its estimated seconds (1 when no estimate is given). Jobs found in
 * the store take no time and are left out of the pace. With W workers busy the pace already
 * includes the parallelism, so the ETA is fleet-wide.
 */
export class JobProgressTracker {
  private readonly startedAt: number;
  private done = 0;
  private cached = 0;
  private failed = 0;
  private computedWeight = 0;
  private remainingWeight: number;

  /**
   * Starts the clock.
   * @param weights - each job's weight, its estimated seconds (1 without an estimate), by job index.
   * @param now - the clock, in seconds; `performance.now() / 1000` by default.
   */
  constructor(
    private readonly weights: readonly number[],
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.startedAt = now();
    this.remainingWeight = weights.reduce((sum, weight) => sum + weight, 0);
  }

  /** Marks job `index` finished; `cached` when its result was already stored. */
  finish(index: number, how: 'computed' | 'cached' | 'failed'): void {
    const weight = this.weights[index] ?? 0;
    this.remainingWeight -= weight;
    if (how === 'failed') this.failed += 1;
    else {
      this.done += 1;
      if (how === 'cached') this.cached += 1;
      else this.computedWeight += weight;
    }
  }

  /** The current progress. */
  snapshot(): JobProgress {
    const elapsedSeconds = this.now() - this.startedAt;
    const etaSeconds =
      this.remainingWeight <= 0
        ? 0
        : this.computedWeight > 0
          ? (elapsedSeconds * this.remainingWeight) / this.computedWeight
          : undefined;
    return {
      total: this.weights.length,
      done: this.done,
      cached: this.cached,
      failed: this.failed,
      elapsedSeconds,
      etaSeconds,
    };
  }
}
