import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { writeFileAtomic } from '@dpo-ts/core/io';

/** A finished job as stored. */
export interface StoredJobResult {
  /** The job's key ({@link jobKey}): 64 lowercase hex digits. */
  readonly key: string;
  /** The job kind's name. */
  readonly kind: string;
  /** The kind's JSON result. */
  readonly result: unknown;
}

/**
 * Where finished jobs' results are kept, by job key. The producer writes each result as soon
 * as it learns of it, so a finished job survives a Redis restart (or a fresh Redis) and a rerun
 * of the same jobs resumes instead of recomputing.
 */
export interface JobResultStore {
  /** The stored result of `key`, or undefined. */
  get(key: string): Promise<StoredJobResult | undefined>;
  /** Stores a result (replacing any under the same key: same key, same result). */
  put(entry: StoredJobResult): Promise<void>;
}

/** Results in memory, for one run's life (the in-process default). Never touches the disk. */
export class InMemoryResultStore implements JobResultStore {
  private readonly entries = new Map<string, StoredJobResult>();

  /** Number of stored results. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<StoredJobResult | undefined> {
    return this.entries.get(key);
  }

  async put(entry: StoredJobResult): Promise<void> {
    this.entries.set(entry.key, entry);
  }
}

const KEY = /^[0-9a-f]{64}$/;
const FORMAT = 'dpo-ts.job-result';

/**
 * Results on disk, one JSON file per key (`<dir>/<key[0:2]>/<key>.json`, written atomically:
 * a crash leaves the old file or the new one, never half of one). The folder can be shared by
 * reruns; delete it to recompute everything.
 */
export class FileResultStore implements JobResultStore {
  /**
   * A store over `dir` (created on the first write).
   * @param dir - the results folder.
   * @throws InvalidArgumentError naming `dir` when it is not a non-empty string.
   */
  constructor(
    /** The results folder: `<dir>/<key[0:2]>/<key>.json`. */
    readonly dir: string,
  ) {
    if (typeof dir !== 'string' || dir.length === 0)
      throw new InvalidArgumentError('dir', 'a non-empty folder path', dir);
  }

  private file(key: string): string {
    if (!KEY.test(key)) throw new InvalidArgumentError('key', 'a job key (64 lowercase hex digits)', key);
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /**
   * @throws DataFormatError naming the file when it is not a result file for `key`.
   */
  async get(key: string): Promise<StoredJobResult | undefined> {
    const file = this.file(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let body: { format?: unknown; key?: unknown; kind?: unknown; result?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      throw new DataFormatError(file, 0, `job result is not valid JSON (${(error as Error).message}); delete it`);
    }
    if (body?.format !== FORMAT || body.key !== key || typeof body.kind !== 'string' || !('result' in body))
      throw new DataFormatError(file, 0, `expected a ${FORMAT} file for key ${key}; delete it to recompute`);
    return { key, kind: body.kind, result: body.result };
  }

  async put(entry: StoredJobResult): Promise<void> {
    const file = this.file(entry.key);
    await fs.mkdir(join(this.dir, entry.key.slice(0, 2)), { recursive: true });
    await writeFileAtomic(
      file,
      `${JSON.stringify({ format: FORMAT, version: 1, key: entry.key, kind: entry.kind, result: entry.result })}\n`,
    );
  }
}
