import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/** The serialisable state of a {@link PerPromptStatTracker}: each condition's buffered rewards. */
export interface PerPromptStatTrackerState {
  /** {@inheritDoc PerPromptStatTracker.bufferSize} */
  readonly bufferSize: number;
  /** {@inheritDoc PerPromptStatTracker.minCount} */
  readonly minCount: number;
  /** Condition (as a string key) -> rewards, oldest first. */
  readonly buffers: Readonly<Record<string, readonly number[]>>;
}

/** Standard deviation offsets, as ddpo-pytorch. */
const TRACKED_STD_EPSILON = 1e-6;
const BATCH_STD_EPSILON = 1e-8;

/**
 * DDPO's per-prompt reward normalisation: each condition keeps a buffer of its last
 * `bufferSize` rewards across steps, and a reward's advantage is
 *
 *   A = (r - mean(buffer_c)) / (std(buffer_c) + 1e-6)
 *
 * with the buffer of its condition c (after adding this batch's rewards), or with the mean and
 * std of the whole batch while the buffer holds fewer than `minCount` rewards. std is the
 * population standard deviation (numpy's default). Conditions whose images are easy to reward
 * do not dominate the gradient.
 *
 * @see Black et al. 2023, Section 4.3 / Appendix; ddpo-pytorch `stat_tracking.py`.
 */
export class PerPromptStatTracker {
  /** Rewards kept per condition (the newest); older ones drop out. */
  readonly bufferSize: number;
  /** Below this many buffered rewards a condition is normalised with the batch's mean and std. */
  readonly minCount: number;
  private readonly buffers = new Map<string, number[]>();

  /**
   * Starts with empty buffers.
   * @param bufferSize - rewards kept per condition, an integer >= 1 (ddpo-pytorch's `buffer_size`).
   * @param minCount - buffered rewards needed before a condition uses its own statistics, an integer >= 1 (`min_count`).
   * @throws InvalidArgumentError naming `bufferSize` or `minCount` when not an integer >= 1.
   */
  constructor(bufferSize = 16, minCount = 16) {
    this.bufferSize = requireInteger('bufferSize', bufferSize, { min: 1 });
    this.minCount = requireInteger('minCount', minCount, { min: 1 });
  }

  /** Adds the batch's rewards to their conditions' buffers and returns the advantages, in batch order. */
  update(conditions: ArrayLike<number | string>, rewards: ArrayLike<number>): Float32Array {
    if (conditions.length !== rewards.length)
      throw new InvalidArgumentError('conditions', `one per reward (${rewards.length})`, conditions.length);
    const batch = meanStd(Array.from(rewards));
    const advantages = new Float32Array(rewards.length);
    const keys = Array.from(conditions, String);
    for (const key of new Set(keys)) {
      const members = keys.flatMap((k, i) => (k === key ? [i] : []));
      const buffer = this.buffers.get(key) ?? [];
      buffer.push(...members.map((i) => rewards[i]!));
      buffer.splice(0, Math.max(0, buffer.length - this.bufferSize));
      this.buffers.set(key, buffer);
      const { mean, std } = buffer.length < this.minCount ? batch : meanStd(buffer);
      for (const i of members) advantages[i] = (rewards[i]! - mean) / (std + TRACKED_STD_EPSILON);
    }
    return advantages;
  }

  /** Mean, std and count per condition (ddpo-pytorch's `get_stats`). */
  stats(): Record<
    string,
    {
      /** Mean of the condition's buffered rewards. */
      mean: number;
      /** Population standard deviation of the buffered rewards. */
      std: number;
      /** Rewards in the buffer (at most `bufferSize`). */
      count: number;
    }
  > {
    return Object.fromEntries(
      [...this.buffers].map(([key, buffer]) => [key, { ...meanStd(buffer), count: buffer.length }]),
    );
  }

  /** A plain copy of the buffers, for checkpoints. */
  state(): PerPromptStatTrackerState {
    return {
      bufferSize: this.bufferSize,
      minCount: this.minCount,
      buffers: Object.fromEntries([...this.buffers].map(([k, v]) => [k, [...v]])),
    };
  }

  /** Continues from {@link PerPromptStatTracker.state}. */
  static fromState(state: PerPromptStatTrackerState): PerPromptStatTracker {
    const tracker = new PerPromptStatTracker(state.bufferSize, state.minCount);
    for (const [key, values] of Object.entries(state.buffers ?? {})) {
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'number'))
        throw new InvalidArgumentError(`state.buffers["${key}"]`, 'an array of numbers', values);
      tracker.buffers.set(key, values.slice(-state.bufferSize));
    }
    return tracker;
  }
}

/**
 * DDPO's normalisation without per-prompt tracking: (r - mean) / (std + 1e-8) over the batch
 * (population std), as ddpo-pytorch's `train.py`.
 */
export function normalizeRewards(rewards: ArrayLike<number>): Float32Array {
  const { mean, std } = meanStd(Array.from(rewards));
  return Float32Array.from(rewards, (r) => (r - mean) / (std + BATCH_STD_EPSILON));
}

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
