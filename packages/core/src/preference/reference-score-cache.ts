import { promises as fs } from 'node:fs';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireString } from '../errors/validate.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { assertWritableFilePath } from '../io/writable-file-path.js';
import {
  type FingerprintParts,
  checksumScoreEntries,
  combineFingerprintParts,
  requireFingerprintParts,
} from './fingerprint.js';

/** Format tag of the reference score cache file. */
export const REFERENCE_CACHE_FORMAT = 'dpo-ts-reference-scores';
/**
 * Version of the cache file format. Version 2 added the named fingerprint parts and the
 * content checksum; a version-1 file is invalidated (its fingerprint did not cover the model's
 * architecture), a newer version is an error.
 */
export const REFERENCE_CACHE_VERSION = 2;

/** How {@link ReferenceScoreCache.open} found the file. */
export type ReferenceCacheStatus =
  /** No file yet (or an in-memory cache): every score will be computed. */
  | 'new'
  /** The file matched the fingerprint and its checksum: its scores are reused. */
  | 'loaded'
  /** The file was for another model, data or scoring: it is ignored and overwritten on save. */
  | 'invalidated';

/** Reference scores of one pair. */
export interface CachedPairScores {
  /** Reference score of the chosen response (e.g. its summed log-prob, or minus a denoising error). */
  readonly chosen: number;
  /** Reference score of the rejected response, in the same units. */
  readonly rejected: number;
}

/** Options of {@link ReferenceScoreCache.open}. */
export interface ReferenceScoreCacheOpenOptions {
  /** Names the file in argument errors (`options.referenceCacheFile`). @defaultValue 'file' */
  readonly argument?: string;
}

/**
 * Reference-model scores computed once and kept on disk, so a DPO run does not pay a reference
 * forward pass per step, and later runs on the same data and reference reuse them (TRL's
 * `precompute_ref_log_probs`, made persistent).
 *
 * The cache is keyed by a *fingerprint* of everything that changes a score, given as named
 * parts ({@link FingerprintParts}: `model`, `weights`, `tokenizer`, `scoring`, `data/train`,
 * `backend`, ...; each modality's trainer says what it covers). A file whose fingerprint
 * differs is invalidated, never reused, and {@link ReferenceScoreCache.invalidation} names the
 * parts that differ. A SHA-256 checksum over the entries detects values edited by hand or
 * corrupted on disk. Entries are keyed per pair (a stable id); for diffusion the pair's
 * timestep and noise must be part of what the key identifies (fixed per pair when caching).
 *
 * File: JSON `{ format, version, fingerprint, parts, checksum, entries: { [key]: [chosen, rejected] } }`,
 * written atomically.
 */
export class ReferenceScoreCache {
  /** The cache file, or undefined for an in-memory cache. */
  readonly file: string | undefined;
  /** SHA-256 hex digest combining every fingerprint part; a file with another one is invalidated. */
  readonly fingerprint: string;
  /**
   * The named parts the fingerprint covers (`model`, `weights`, `data/train`, ...), each its own digest; stored in the file to name what changed.
   */
  readonly parts: FingerprintParts;
  /** How the file was found when opened: `'new'`, `'loaded'` or `'invalidated'`. */
  readonly status: ReferenceCacheStatus;
  /**
   * Why a file was not reused (status `'invalidated'`): `fingerprint parts that differ: model,
   * tokenizer`; undefined otherwise.
   */
  readonly invalidation: string | undefined;
  private readonly entries: Map<string, CachedPairScores>;
  private dirty = false;

  private constructor(
    file: string | undefined,
    parts: FingerprintParts,
    status: ReferenceCacheStatus,
    entries: Map<string, CachedPairScores>,
    invalidation?: string,
  ) {
    this.file = file;
    this.parts = parts;
    this.fingerprint = combineFingerprintParts(parts);
    this.status = status;
    this.entries = entries;
    this.invalidation = invalidation;
  }

  /**
   * Opens (or starts) the cache at `file` for `fingerprint`, after checking that `file` can be
   * written (so a bad path fails before any score is computed). A missing file gives an empty
   * cache with status `'new'`; a file for another fingerprint or of format version 1 gives an
   * empty cache with status `'invalidated'` and the reason in {@link invalidation}.
   *
   * @param fingerprint - named parts (preferred: a miss then says what changed), or one string
   *   (stored as the single part `fingerprint`).
   * @throws InvalidArgumentError naming `options.argument` when `file` is a directory,
   *   its directory is missing, or it cannot be written.
   * @throws DataFormatError naming the file for a corrupt file: not JSON, another format
   *   or a newer version, malformed entries, or entries that do not match their checksum
   *   (delete the file to rebuild it).
   */
  static async open(
    file: string,
    fingerprint: string | FingerprintParts,
    options: ReferenceScoreCacheOpenOptions = {},
  ): Promise<ReferenceScoreCache> {
    const argument = options.argument ?? 'file';
    requireString(argument, file);
    const parts = toParts(fingerprint);
    await assertWritableFilePath(argument, file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return new ReferenceScoreCache(file, parts, 'new', new Map());
      throw new DataFormatError(file, 0, `cannot read the reference score cache: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const body = parseCacheFile(file, text);
    if (body.version === 1) {
      return new ReferenceScoreCache(
        file,
        parts,
        'invalidated',
        new Map(),
        'format version 1 (its fingerprint did not cover the model architecture)',
      );
    }
    const expected = combineFingerprintParts(parts);
    if (body.fingerprint !== expected) {
      return new ReferenceScoreCache(file, parts, 'invalidated', new Map(), describeChangedParts(body.parts, parts));
    }
    const entries = parseEntries(file, body.entries);
    const checksum = checksumScoreEntries(expected, entries);
    if (body.checksum !== checksum) {
      throw new DataFormatError(
        file,
        0,
        `reference score cache entries do not match their checksum (edited by hand or corrupted; expected ${checksum}, file says ${JSON.stringify(body.checksum)}); delete the file to rebuild it`,
      );
    }
    return new ReferenceScoreCache(file, parts, 'loaded', entries);
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

  /**
   * Writes the cache atomically, with its fingerprint parts and checksum, if anything changed
   * since it was opened or last saved. A no-op for an in-memory cache.
   */
  async save(): Promise<void> {
    if (this.file === undefined) return;
    if (!this.dirty && this.status === 'loaded') return;
    const entries: Record<string, [number, number]> = {};
    for (const [key, { chosen, rejected }] of this.entries) entries[key] = [chosen, rejected];
    const body = {
      format: REFERENCE_CACHE_FORMAT,
      version: REFERENCE_CACHE_VERSION,
      fingerprint: this.fingerprint,
      parts: this.parts,
      checksum: checksumScoreEntries(this.fingerprint, this.entries),
      entries,
    };
    await writeFileAtomic(this.file, JSON.stringify(body));
    this.dirty = false;
  }
}

interface CacheFileBody {
  readonly version: number;
  readonly fingerprint?: unknown;
  readonly parts?: unknown;
  readonly checksum?: unknown;
  readonly entries?: unknown;
}

function toParts(fingerprint: string | FingerprintParts): FingerprintParts {
  if (typeof fingerprint === 'string') return { fingerprint: requireString('fingerprint', fingerprint) };
  return requireFingerprintParts('fingerprint', fingerprint);
}

function parseCacheFile(file: string, text: string): CacheFileBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(
      file,
      0,
      `reference score cache is not valid JSON (${(error as Error).message}); delete it to rebuild`,
    );
  }
  const body = parsed as { format?: unknown; version?: unknown } | null;
  if (body?.format !== REFERENCE_CACHE_FORMAT || (body.version !== 1 && body.version !== REFERENCE_CACHE_VERSION)) {
    throw new DataFormatError(
      file,
      0,
      `expected a ${REFERENCE_CACHE_FORMAT} file of version 1 or ${REFERENCE_CACHE_VERSION}: got format ${JSON.stringify(body?.format)} version ${JSON.stringify(body?.version)}`,
    );
  }
  return body as CacheFileBody;
}

function parseEntries(file: string, raw: unknown): Map<string, CachedPairScores> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DataFormatError(file, 0, `field "entries" must be an object: got ${JSON.stringify(raw)}`);
  }
  const entries = new Map<string, CachedPairScores>();
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (
      !Array.isArray(value) ||
      value.length !== 2 ||
      !value.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      throw new DataFormatError(
        file,
        0,
        `entry "${key}" must be [chosen, rejected] finite numbers: got ${JSON.stringify(value)}`,
      );
    }
    entries.set(key, { chosen: value[0] as number, rejected: value[1] as number });
  }
  return entries;
}

/** `fingerprint parts that differ: model, backend` (or every part, when the file has none). */
function describeChangedParts(stored: unknown, parts: FingerprintParts): string {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored))
    return 'fingerprint differs (the file lists no parts)';
  const old = stored as Record<string, unknown>;
  const names = [...new Set([...Object.keys(old), ...Object.keys(parts)])].sort();
  const changed = names.filter((name) => old[name] !== parts[name]);
  return changed.length === 0 ? 'fingerprint differs' : `fingerprint parts that differ: ${changed.join(', ')}`;
}
