/** Wall-clock phases and the peak resident set size of the process, sampled every 250 ms. */
export class RunStats {
  private readonly start = performance.now();
  private readonly timer: NodeJS.Timeout;
  private peak = process.memoryUsage().rss;
  readonly phases: Record<string, number> = {};

  constructor() {
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  /** Peak RSS in MiB so far. */
  get peakRssMiB(): number {
    this.sample();
    return this.peak / 2 ** 20;
  }

  /** Seconds since the run began. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Runs `fn` as a named phase, printing its start and duration. */
  async phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    console.error(`\n== ${name} (at ${this.elapsed().toFixed(0)} s)`);
    const begin = performance.now();
    try {
      return await fn();
    } finally {
      this.phases[name] = (performance.now() - begin) / 1000;
      console.error(`== ${name}: ${this.phases[name]!.toFixed(1)} s; peak RSS ${this.peakRssMiB.toFixed(0)} MiB`);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }
}
