/**
 * Averages metric rows over many batches, weighting each row by its batch size, so an eval
 * loop reports the mean over pairs rather than the mean of batch means.
 *
 * @example
 * const acc = new MetricAccumulator();
 * acc.add({ loss: 0.6 }, 32); acc.add({ loss: 0.4 }, 8);
 * acc.mean(); // { loss: 0.56 }
 */
export class MetricAccumulator {
  private readonly sums = new Map<string, number>();
  private readonly weights = new Map<string, number>();

  /** Adds one row with weight `weight` (usually the batch size). */
  add(metrics: Record<string, number>, weight = 1): void {
    for (const [name, value] of Object.entries(metrics)) {
      this.sums.set(name, (this.sums.get(name) ?? 0) + value * weight);
      this.weights.set(name, (this.weights.get(name) ?? 0) + weight);
    }
  }

  /** Weighted mean of every metric seen. */
  mean(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, sum] of this.sums) out[name] = sum / this.weights.get(name)!;
    return out;
  }

  /** Forgets everything. */
  reset(): void {
    this.sums.clear();
    this.weights.clear();
  }
}
