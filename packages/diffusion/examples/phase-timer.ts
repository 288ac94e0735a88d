import { formatDuration } from '@dpo-ts/core/training';

/** Wall-clock phases with a line per phase and progress lines with ETA inside long phases. */
export class PhaseTimer {
  private readonly start = performance.now();
  readonly phases: Record<string, number> = {};

  /** Seconds since the run began. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Runs `fn` as a named phase, printing its start and duration on stderr. */
  async phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    console.error(`\n== ${name} (at ${formatDuration(this.elapsed())})`);
    const begin = performance.now();
    try {
      return await fn();
    } finally {
      this.phases[name] = (performance.now() - begin) / 1000;
      console.error(`== ${name}: ${this.phases[name]!.toFixed(1)} s`);
    }
  }

  /** A progress callback `(done, total)` printing `label done/total (p%) | rate | ETA` lines. */
  progress(label: string, unit: string): (done: number, total: number) => void {
    const begin = performance.now();
    let last = 0;
    return (done, total) => {
      const now = performance.now();
      if (done < total && now - last < 5000) return;
      last = now;
      const seconds = (now - begin) / 1000;
      const rate = done / Math.max(seconds, 1e-9);
      console.error(
        `${label} ${done}/${total} (${Math.floor((100 * done) / total)}%) | ${rate.toFixed(1)} ${unit}/s | ETA ${formatDuration((total - done) / rate)}`,
      );
    };
  }
}
