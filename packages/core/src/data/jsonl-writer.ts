import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { fsyncDirectory, temporaryName } from '../io/atomic-file.js';

/** Where records are being written; codecs make relative paths against `directory`. */
export interface JsonlWriteContext {
  /** The target file, as the caller named it. */
  readonly file: string;
  /** Absolute directory of the target file. */
  readonly directory: string;
}

/**
 * Turns a typed record into the JSON object written on its line. Throws
 * {@link InvalidArgumentError} (naming `records[index]...`) when the record is invalid.
 */
export type JsonlRecordSerializer<T> = (
  record: T,
  index: number,
  context: JsonlWriteContext,
) => Record<string, unknown>;

type WriterState = 'open' | 'closed' | 'aborted' | 'failed';

const FLUSH_BYTES = 1 << 16;

/**
 * Writes a JSONL file atomically, one record at a time: lines go to a temporary file in the
 * target's directory, and {@link JsonlWriter.close} fsyncs it and renames it over the target.
 * A crash or an error before `close()` leaves any existing file untouched (a killed process
 * may leave a `.<name>-<pid>-<random hex>` file next to it; delete it freely).
 *
 * Records are validated and serialised before they reach the file, so an invalid record
 * throws from `append()` and leaves the writer usable. An I/O error makes the writer fail
 * and removes the temporary file. Await each `append()`; lines keep the order of the calls.
 *
 * @example
 * const writer = await JsonlWriter.open('scores.jsonl', (row: { id: number }) => ({ ...row }));
 * try {
 *   for (const row of rows) await writer.append(row);
 *   await writer.close();
 * } catch (error) {
 *   await writer.abort();
 *   throw error;
 * }
 */
export class JsonlWriter<T> {
  /** The target path, as given. */
  readonly path: string;
  private readonly context: JsonlWriteContext;
  private readonly tempPath: string;
  private readonly handle: FileHandle;
  private readonly serializeRecord: JsonlRecordSerializer<T>;
  private state: WriterState = 'open';
  private written = 0;
  private buffer: string[] = [];
  private bufferedLength = 0;

  private constructor(path: string, tempPath: string, handle: FileHandle, serializeRecord: JsonlRecordSerializer<T>) {
    this.path = path;
    this.context = { file: path, directory: dirname(resolve(path)) };
    this.tempPath = tempPath;
    this.handle = handle;
    this.serializeRecord = serializeRecord;
  }

  /**
   * Creates the temporary file (and the target's directory if needed).
   * @throws DPOTSError naming the path when the file cannot be created.
   */
  static async open<T>(path: string, serializeRecord: JsonlRecordSerializer<T>): Promise<JsonlWriter<T>> {
    if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'a non-empty string', path);
    const directory = dirname(resolve(path));
    const tempPath = join(directory, temporaryName(basename(path)));
    try {
      await mkdir(directory, { recursive: true });
      const handle = await open(tempPath, 'wx');
      return new JsonlWriter(path, tempPath, handle, serializeRecord);
    } catch (error) {
      throw new DPOTSError(`cannot write ${path}: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Number of records appended so far. */
  get count(): number {
    return this.written;
  }

  /**
   * Validates, serialises and queues one record.
   * @throws InvalidArgumentError when the record is invalid (nothing is written).
   * @throws DPOTSError when the writer is closed, aborted or failed, or on an I/O error.
   */
  async append(record: T): Promise<void> {
    this.assertOpen();
    const line = this.serializeLine(record, this.written);
    this.buffer.push(line);
    this.bufferedLength += line.length;
    this.written += 1;
    if (this.bufferedLength >= FLUSH_BYTES) await this.flush();
  }

  /** Appends every record of a sync or async iterable, in order. Errors as {@link JsonlWriter.append}. */
  async appendAll(records: Iterable<T> | AsyncIterable<T>): Promise<void> {
    for await (const record of records) await this.append(record);
  }

  /**
   * Flushes, fsyncs and renames the temporary file over the target; the file is complete
   * once this resolves.
   * @throws InvalidArgumentError when no record was appended (a JSONL file without
   *   records cannot be read back); the temporary file is removed.
   * @throws DPOTSError on an I/O error; the temporary file is removed.
   */
  async close(): Promise<void> {
    this.assertOpen();
    if (this.written === 0) {
      await this.abort();
      throw new InvalidArgumentError('records', 'non-empty (a JSONL file without records cannot be read back)', []);
    }
    try {
      await this.flush();
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, resolve(this.path));
      this.state = 'closed';
    } catch (error) {
      await this.fail();
      throw new DPOTSError(`cannot write ${this.path}: ${messageOf(error)}`, { cause: error });
    }
    await fsyncDirectory(this.context.directory);
  }

  /** Discards everything written and removes the temporary file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.cleanUp();
  }

  private serializeLine(record: T, index: number): string {
    const object = this.serializeRecord(record, index, this.context);
    try {
      return `${JSON.stringify(object, rejectNonJsonValues)}\n`;
    } catch (error) {
      throw new InvalidArgumentError(`records[${index}]`, 'JSON-serialisable', record, messageOf(error));
    }
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.bufferedLength = 0;
    try {
      await this.handle.write(chunk);
    } catch (error) {
      await this.fail();
      throw new DPOTSError(`cannot write ${this.path}: ${messageOf(error)}`, { cause: error });
    }
  }

  private async fail(): Promise<void> {
    this.state = 'failed';
    await this.cleanUp();
  }

  private async cleanUp(): Promise<void> {
    this.buffer = [];
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new DPOTSError(`cannot write ${this.path}: the writer is ${this.state}`);
  }
}

/**
 * Writes all `records` to `path` atomically through a {@link JsonlWriter}: on any error the
 * temporary file is removed and an existing file at `path` is left as it was.
 * @returns the number of records written.
 * @throws InvalidArgumentError for an invalid record (naming its index) or no records.
 * @throws DPOTSError on an I/O error; whatever `records` throws is rethrown as is.
 */
export async function writeJsonl<T>(
  path: string,
  records: Iterable<T> | AsyncIterable<T>,
  serializeRecord: JsonlRecordSerializer<T>,
): Promise<number> {
  const writer = await JsonlWriter.open(path, serializeRecord);
  try {
    await writer.appendAll(records);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return writer.count;
}

/**
 * JSON.stringify would write NaN, Infinity and undefined array items as null and drop
 * functions: refuse instead. Object properties set to undefined are omitted, as usual.
 */
function rejectNonJsonValues(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`${key ? `"${key}" ` : ''}is ${value}, which JSON cannot represent`);
  }
  if (value === undefined && Array.isArray(this)) {
    throw new TypeError('an array holds undefined, which JSON cannot represent');
  }
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`${key ? `"${key}" ` : ''}is a ${typeof value}, which JSON cannot represent`);
  }
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
