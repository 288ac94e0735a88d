import { promises as fs } from 'node:fs';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireString } from '../errors/validate.js';
import { writeFileAtomic } from '../io/atomic-file.js';

/** Format tag of the reference score cache file. */
export const REFERENCE_CACHE_FORMAT = 'dpo-ts-reference-scores';
/** Version of the cache file format; files of another version are rejected. */
export const REFERENCE_CACHE_VERSION = 1;

/** How {@link ReferenceScoreCache.open} found the file. */
export type ReferenceCacheStatus =
  /** No file yet: every score will be computed. */
  | 'new'
  /** The file matched the fingerprint: its scores are reused. */
  | 'loaded'
  /** The file was for other weights or data: it is ignored and will be overwritten on save. */
  | 'invalidated';

/** Reference scores of one pair. */
export interface CachedPairScores {
  readonly chosen: number;
  readonly rejected: number;
}

/**
 * Reference-model scores computed once and kept on disk, so a DPO run does not pay a reference
 * forward pass per step, and later runs on the same data and reference reuse them (TRL's
 * `precompute_ref_log_probs`, made persistent).
 *
 * The cache is keyed by a *fingerprint* of the reference weights and the dataset (see
 * {@link fingerprintVariables}, {@link fingerprintJson}, {@link combineFingerprints}); a file
 * whose fingerprint differs is invalidated, never silently reused. Entries are keyed per pair
 * (a stable id: the record index, or a hash of the record); for diffusion the pair's timestep
 * and noise must be part of what the key identifies (fixed per pair when caching).
 *
 * File: JSON `{ format, version, fingerprint, entries: { [key]: [chosen, rejected] } }`,
 * written atomically.
 */
export class ReferenceScoreCache {
  readonly file: string;
  readonly fingerprint: string;
  readonly status: ReferenceCacheStatus;
  private readonly entries: Map<string, CachedPairScores>;
  private dirty = false;

  private constructor(file: string, fingerprint: string, status: ReferenceCacheStatus, entries: Map<string, CachedPairScores>) {
    this.file = file;
    this.fingerprint = fingerprint;
    this.status = status;
    this.entries = entries;
  }

  /**
   * Opens (or starts) the cache at `file` for `fingerprint`. A missing file gives an empty
   * cache with status `'new'`; a file for another fingerprint gives an empty cache with status
   * `'invalidated'`; a corrupt file throws {@link DataFormatError} (delete it to rebuild).
   */
  static async open(file: string, fingerprint: string): Promise<ReferenceScoreCache> {
    requireString('file', file);
    requireString('fingerprint', fingerprint);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new ReferenceScoreCache(file, fingerprint, 'new', new Map());
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new DataFormatError(file, 0, `reference score cache is not valid JSON (${(error as Error).message}); delete it to rebuild`);
    }
    const body = parsed as { format?: unknown; version?: unknown; fingerprint?: unknown; entries?: unknown };
    if (body?.format !== REFERENCE_CACHE_FORMAT || body.version !== REFERENCE_CACHE_VERSION) {
      throw new DataFormatError(
        file,
        0,
        `expected a ${REFERENCE_CACHE_FORMAT} file of version ${REFERENCE_CACHE_VERSION}: got format ${JSON.stringify(body?.format)} version ${JSON.stringify(body?.version)}`,
      );
    }
    if (body.fingerprint !== fingerprint) return new ReferenceScoreCache(file, fingerprint, 'invalidated', new Map());
    const entries = new Map<string, CachedPairScores>();
    if (body.entries === null || typeof body.entries !== 'object') {
      throw new DataFormatError(file, 0, `field "entries" must be an object: got ${JSON.stringify(body.entries)}`);
    }
    for (const [key, value] of Object.entries(body.entries as Record<string, unknown>)) {
      if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new DataFormatError(file, 0, `entry "${key}" must be [chosen, rejected] finite numbers: got ${JSON.stringify(value)}`);
      }
      entries.set(key, { chosen: value[0] as number, rejected: value[1] as number });
    }
    return new ReferenceScoreCache(file, fingerprint, 'loaded', entries);
  }

  /** Number of cached pairs. */
  get size(): number {
    return this.entries.size;
  }

  /** Cached scores of one pair, or undefined. */
  get(key: string): CachedPairScores | undefined {
    return this.entries.get(key);
  }

  /** Keys of `keys` that are not cached yet, in order. */
  missing(keys: readonly string[]): string[] {
    return keys.filter((key) => !this.entries.has(key));
  }

  /** Stores the scores of one pair; both must be finite. */
  set(key: string, scores: CachedPairScores): void {
    if (!Number.isFinite(scores.chosen) || !Number.isFinite(scores.rejected)) {
      throw new InvalidArgumentError(`scores of pair "${key}"`, 'finite chosen and rejected scores', scores);
    }
    this.entries.set(key, { chosen: scores.chosen, rejected: scores.rejected });
    this.dirty = true;
  }

  /** Writes the cache atomically if anything changed since it was opened or last saved. */
  async save(): Promise<void> {
    if (!this.dirty && this.status === 'loaded') return;
    const entries: Record<string, [number, number]> = {};
    for (const [key, { chosen, rejected }] of this.entries) entries[key] = [chosen, rejected];
    await writeFileAtomic(
      this.file,
      JSON.stringify({ format: REFERENCE_CACHE_FORMAT, version: REFERENCE_CACHE_VERSION, fingerprint: this.fingerprint, entries }),
    );
    this.dirty = false;
  }
}
