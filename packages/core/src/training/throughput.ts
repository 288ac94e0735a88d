/** Rates since a {@link Throughput} was created, for TRL's `train_*_per_second` metrics. */
export interface ThroughputRates {
  /** Examples (sequences, images or pairs) per second. */
  readonly samplesPerSecond: number;
  /** Tokens per second; 0 when the trainer counts no tokens. */
  readonly tokensPerSecond: number;
}

/**
 * Throughput since a run (or this `train()` call's part of it) began: running totals of
 * examples and tokens divided by the wall-clock seconds since construction, as TRL logs
 * `train_samples_per_second` and `train_tokens_per_second`.
 * @example
 * const throughput = new Throughput();
 * const { samplesPerSecond } = throughput.add(batch.numPairs);
 */
export class Throughput {
  private readonly start = performance.now();
  private samples = 0;
  private tokens = 0;

  /** Adds one step's examples and tokens; returns the rates since the start. */
  add(samples: number, tokens = 0): ThroughputRates {
    this.samples += samples;
    this.tokens += tokens;
    const seconds = Math.max((performance.now() - this.start) / 1000, 1e-9);
    return { samplesPerSecond: this.samples / seconds, tokensPerSecond: this.tokens / seconds };
  }
}
