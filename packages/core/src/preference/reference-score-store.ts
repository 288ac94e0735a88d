import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { CachedPairScores, ReferenceCacheStatus } from './reference-score-cache.js';

/**
 * Where precomputed reference scores are kept, per pair key: on disk
 * ({@link ReferenceScoreCache}, reused across runs under a fingerprint) or in memory
 * ({@link InMemoryReferenceScores}, for one trainer's life). A `cache` {@link ReferenceSource}
 * reads and fills one.
 */
export interface ReferenceScoreStore {
  /** The file behind the store; undefined in memory. */
  readonly file: string | undefined;
  /** What the store was found holding when opened (`'new'` in memory). */
  readonly status: ReferenceCacheStatus;
  /** Why an on-disk file was not reused (status `'invalidated'`); undefined otherwise. */
  readonly invalidation: string | undefined;
  /** Number of stored pairs. */
  readonly size: number;
  /** Stored scores of one pair, or undefined. */
  get(key: string): CachedPairScores | undefined;
  /** Keys of `keys` not stored yet, in order. */
  missing(keys: readonly string[]): string[];
  /** Stores the scores of one pair; both must be finite. */
  set(key: string, scores: CachedPairScores): void;
  /** Makes the scores durable (writes the file); a no-op in memory. */
  save(): Promise<void>;
}

/**
 * Reference scores kept in memory for one trainer's life: TRL's `precompute_ref_log_probs`
 * without a file. It never touches the disk (no path, no temporary file); `save()` does nothing.
 */
export class InMemoryReferenceScores implements ReferenceScoreStore {
  readonly file = undefined;
  readonly status: ReferenceCacheStatus = 'new';
  readonly invalidation = undefined;
  private readonly entries = new Map<string, CachedPairScores>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedPairScores | undefined {
    return this.entries.get(key);
  }

  missing(keys: readonly string[]): string[] {
    return keys.filter((key) => !this.entries.has(key));
  }

  set(key: string, scores: CachedPairScores): void {
    if (!Number.isFinite(scores.chosen) || !Number.isFinite(scores.rejected)) {
      throw new InvalidArgumentError(`scores of pair "${key}"`, 'finite chosen and rejected scores', scores);
    }
    this.entries.set(key, { chosen: scores.chosen, rejected: scores.rejected });
  }

  async save(): Promise<void> {}
}
