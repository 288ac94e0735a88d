/** `42s`, `3m 05s`, `1h 02m`: a duration for progress lines and reports. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A benchmark's place in the suite, for the ETA. */
export interface PlannedBenchmark {
  readonly name: string;
  readonly expectedMinutes: number;
}

/**
 * The suite's clock: which benchmark runs, how long the run has taken, and an ETA for the whole
 * suite from the benchmarks' `expectedMinutes`, scaled by how fast the finished ones ran
 * compared with their expectation (so a machine twice as slow sees twice the ETA after the first
 * benchmark).
 *
 * remaining = scale * (max(0, expected(current) - elapsed(current)) + sum of expected(not started))
 * scale = sum actual(finished) / sum expected(finished), or 1 before any finished.
 */
export class SuiteProgress {
  private readonly startedAt: number;
  private index = -1;
  private benchmarkStartedAt = 0;
  private running = false;
  private finishedActual = 0;
  private finishedExpected = 0;

  constructor(
    private readonly plan: readonly PlannedBenchmark[],
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.startedAt = now();
  }

  /** Marks the next benchmark as started. */
  start(index: number): void {
    this.index = index;
    this.benchmarkStartedAt = this.now();
    this.running = true;
  }

  /** Marks the current benchmark as finished; returns its wall time in seconds. */
  finish(): number {
    const seconds = this.now() - this.benchmarkStartedAt;
    const planned = this.plan[this.index];
    if (planned && this.running) {
      this.running = false;
      this.finishedActual += seconds;
      this.finishedExpected += planned.expectedMinutes * 60;
    }
    return seconds;
  }

  /** Seconds since the suite started. */
  elapsed(): number {
    return this.now() - this.startedAt;
  }

  /** Estimated seconds until the whole suite finishes. */
  eta(): number {
    const scale = this.finishedExpected > 0 ? this.finishedActual / this.finishedExpected : 1;
    const current = this.plan[this.index];
    const inCurrent =
      current && this.running ? Math.max(0, current.expectedMinutes * 60 - (this.now() - this.benchmarkStartedAt)) : 0;
    const later = this.plan.slice(this.index + 1).reduce((sum, planned) => sum + planned.expectedMinutes * 60, 0);
    return scale * (inCurrent + later);
  }

  /** `[2/3 throughput | 1m 20s | ETA 4m 10s]`: the prefix of every progress line. */
  prefix(): string {
    const current = this.plan[this.index];
    const name = current?.name ?? '-';
    return `[${this.index + 1}/${this.plan.length} ${name} | ${formatDuration(this.elapsed())} | ETA ${formatDuration(this.eta())}]`;
  }
}
