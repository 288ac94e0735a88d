import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DataFormatError } from '../errors/data-format-error.js';
import { describeValue } from '../errors/describe-value.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireBoolean, requireInteger } from '../errors/validate.js';
import type { RecordLocation } from './field-codec.js';
import { DEFAULT_MAX_LINE_BYTES, decodeJsonlLines } from './jsonl-lines.js';

/** Options shared by every JSONL reader. */
export interface JsonlReadOptions {
  /**
   * Stop after this many records (the rest of the file is not read or validated).
   * @defaultValue undefined (read everything)
   */
  readonly maxRecords?: number;
  /**
   * Skip blank lines (only spaces and tabs) anywhere. By default a blank line between records
   * is a {@link DataFormatError}, because JSONL has one value per line and a gap often means a
   * broken concatenation; blank lines after the last record are always fine.
   * @defaultValue false
   */
  readonly allowBlankLines?: boolean;
  /**
   * Longest line accepted, in bytes; a longer one is a {@link DataFormatError} at its line,
   * raised before the rest of it is buffered.
   * @defaultValue {@link DEFAULT_MAX_LINE_BYTES} (64 MiB)
   */
  readonly maxLineBytes?: number;
}

/**
 * Turns one JSON object from a JSONL file into a typed record.
 * Throws {@link DataFormatError} (usually through {@link decodeField}) when the object is invalid.
 */
export type JsonlRecordParser<T> = (object: Record<string, unknown>, location: RecordLocation) => T;

/**
 * Streams the records of a JSONL file, one JSON object per line, through `parseRecord`.
 *
 * Reading streams the file's bytes, so memory stays flat for any file size (one line at a
 * time, at most `maxLineBytes`). Decoding is strict UTF-8, line by line (see
 * {@link decodeJsonlLines}): invalid bytes are an error at their line, never U+FFFD.
 * Handled: a UTF-8 byte-order mark at the start, `\n` and `\r\n` line endings, trailing
 * blank lines (spaces and tabs only: JSON whitespace, not U+00A0). Only `\n` ends a line: a
 * lone `\r` never splits a record, and a CR-only (old Mac) file is refused at line 1 with a hint. Nothing is skipped silently:
 * every other problem stops the read. Breaking out of the loop early closes the file.
 * Error messages escape control characters copied from the file.
 *
 * @param path - the JSONL file; messages name it as given.
 * @throws DataFormatError with the file and 1-based line for: invalid UTF-8, a line
 *   over `maxLineBytes`, invalid JSON (with the parser's message), a line that is not a JSON object, a blank line between records (unless
 *   `allowBlankLines`), whatever `parseRecord` rejects; with line 0 for a missing or unreadable
 *   file, a directory, or a file without records.
 * @throws InvalidArgumentError for bad options.
 * @example
 * for await (const row of readJsonl('scores.jsonl', (object) => object)) console.log(row);
 */
export function readJsonl<T>(
  path: string,
  parseRecord: JsonlRecordParser<T>,
  options: JsonlReadOptions = {},
): AsyncGenerator<T, void, undefined> {
  // Arguments are checked now; the file is opened on the first `next()`.
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'a non-empty string', path);
  if (typeof parseRecord !== 'function') throw new InvalidArgumentError('parseRecord', 'a function', parseRecord);
  const maxRecords =
    options.maxRecords === undefined ? Infinity : requireInteger('maxRecords', options.maxRecords, { min: 1 });
  const allowBlankLines =
    options.allowBlankLines === undefined ? false : requireBoolean('allowBlankLines', options.allowBlankLines);
  const maxLineBytes =
    options.maxLineBytes === undefined
      ? DEFAULT_MAX_LINE_BYTES
      : requireInteger('maxLineBytes', options.maxLineBytes, { min: 1 });
  return streamRecords(path, parseRecord, maxRecords, allowBlankLines, maxLineBytes);
}

/** Blank for JSONL: only JSON's own whitespace (a line of U+00A0 or U+FEFF is not skipped). */
const JSON_WHITESPACE_ONLY = /^[ \t\r]*$/;

async function* streamRecords<T>(
  path: string,
  parseRecord: JsonlRecordParser<T>,
  maxRecords: number,
  allowBlankLines: boolean,
  maxLineBytes: number,
): AsyncGenerator<T, void, undefined> {
  await assertReadableFile(path);

  const directory = dirname(resolve(path));
  const stream = createReadStream(path);
  let count = 0;
  let pendingBlankLine = 0; // first blank line since the last record; an error if a record follows
  try {
    for await (const { number: lineNumber, text } of decodeJsonlLines(stream, path, maxLineBytes)) {
      if (JSON_WHITESPACE_ONLY.test(text)) {
        if (!allowBlankLines && pendingBlankLine === 0) pendingBlankLine = lineNumber;
        continue;
      }
      if (pendingBlankLine > 0) throw blankLineError(path, pendingBlankLine);
      const object = parseObject(text, path, lineNumber);
      yield parseRecord(object, { file: path, directory, line: lineNumber });
      count += 1;
      if (count >= maxRecords) return;
    }
  } catch (error) {
    // A blank line between records comes before a later line the decoder refused (invalid
    // UTF-8, too long): report the first problem in the file.
    if (pendingBlankLine > 0 && error instanceof DataFormatError && error.line > pendingBlankLine)
      throw blankLineError(path, pendingBlankLine);
    // Only I/O errors (they carry an errno code) are wrapped; record errors pass through as thrown.
    if (error instanceof DPOTSError || typeof (error as NodeJS.ErrnoException | null)?.code !== 'string') throw error;
    throw new DataFormatError(path, 0, `cannot read file: ${messageOf(error)}`, { cause: error });
  } finally {
    stream.destroy();
  }
  if (count === 0) throw new DataFormatError(path, 0, 'file has no records (it is empty or only whitespace)');
}

/**
 * Reads a whole JSONL file into an array; see {@link readJsonl} for the format and errors.
 */
export async function loadJsonl<T>(
  path: string,
  parseRecord: JsonlRecordParser<T>,
  options: JsonlReadOptions = {},
): Promise<T[]> {
  const records: T[] = [];
  for await (const record of readJsonl(path, parseRecord, options)) records.push(record);
  return records;
}

function parseObject(text: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // A CR that is not part of a CRLF stays in the line: say why the JSON broke there.
    const hint = text.includes('\r')
      ? ' (the line holds a lone CR: only \\n and \\r\\n end lines, so CR-only line endings are not supported)'
      : '';
    throw new DataFormatError(file, line, `invalid JSON: ${shorten(messageOf(error))}${hint}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataFormatError(file, line, `record must be a JSON object: got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Fails early, with the path in the message, instead of a raw ENOENT from the stream. */
async function assertReadableFile(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read file: ${messageOf(error)}`;
    throw new DataFormatError(path, 0, reason, { cause: error });
  }
  if (!isFile) throw new DataFormatError(path, 0, 'not a regular file (is it a directory?)');
}

function blankLineError(path: string, line: number): DataFormatError {
  return new DataFormatError(
    path,
    line,
    'blank line between records (JSONL has one JSON object per line; pass allowBlankLines: true to skip blank lines)',
  );
}

/** Keeps the parser's message readable for huge lines (it may quote the input). */
function shorten(message: string, maxLength = 200): string {
  return message.length > maxLength ? `${message.slice(0, maxLength - 3)}...` : message;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
