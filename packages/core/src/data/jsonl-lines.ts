import { DataFormatError } from '../errors/data-format-error.js';

/** One decoded line of a JSONL file. */
export interface JsonlLine {
  /** 1-based line number. */
  readonly number: number;
  /** The line's text, without its terminator (`\n` or `\r\n`) and, on line 1, without a BOM. */
  readonly text: string;
}

/**
 * Largest line the JSONL readers accept by default: 64 MiB. A record with two inline PNG data
 * URLs of 512 x 512 pixels takes about 2 MB, so real data stays far below; the cap exists so
 * that a runaway file (a missing newline, a device, a concatenated binary) fails with the line
 * number instead of growing until the process runs out of memory.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const BOM = '\uFEFF';

/**
 * Splits a byte stream into lines and decodes each one as strict UTF-8.
 *
 * - Only `\n` ends a line; a `\r` right before it is dropped (`\r\n` files). A lone `\r`
 *   elsewhere is kept as a character: it is JSON whitespace between tokens and an invalid
 *   control character inside a JSON string, so a record is never split at it. Files with
 *   old Mac (CR-only) line endings therefore read as one long line, which the JSON parser
 *   rejects at line 1 (the reader adds a hint).
 * - Invalid UTF-8 (overlong forms, lone continuation bytes, surrogates, truncated sequences) is
 *   a {@link DataFormatError} at the line that holds it, never U+FFFD. Decoding line by line
 *   means the error names exactly that line, not a later one.
 * - A UTF-8 byte-order mark is removed from line 1 only.
 * - A line longer than `maxLineBytes` bytes is a {@link DataFormatError} at its number, raised
 *   as soon as the limit is passed (the rest of the line is not buffered).
 *
 * @param chunks - the file's bytes in any chunking (a `fs.ReadStream` without encoding).
 * @param file - names the file in errors.
 */
export async function* decodeJsonlLines(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<JsonlLine, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let number = 0;
  const decode = (parts: Uint8Array[], total: number): JsonlLine => {
    number += 1;
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (error) {
      const offset = firstInvalidUtf8Offset(bytes);
      throw new DataFormatError(
        file,
        number,
        `invalid UTF-8 at byte ${offset} of the line (the file must be UTF-8 encoded)`,
        { cause: error },
      );
    }
    if (number === 1 && text.startsWith(BOM)) text = text.slice(1);
    return { number, text };
  };
  for await (const chunk of chunks) {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      const stop = end === -1 ? chunk.length : end;
      if (pendingBytes + (stop - start) > maxLineBytes) {
        throw new DataFormatError(file, number + 1, `line is longer than maxLineBytes (${maxLineBytes} bytes)`);
      }
      if (end === -1) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        break;
      }
      pending.push(chunk.subarray(start, end));
      yield decode(pending, pendingBytes + (end - start));
      pending = [];
      pendingBytes = 0;
      start = end + 1;
    }
  }
  if (pendingBytes > 0) yield decode(pending, pendingBytes);
}

/**
 * Byte offset (0-based) of the first byte that does not start or continue a valid UTF-8
 * sequence (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); `bytes.length`
 * when the line ends inside a sequence.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let min = 0x80;
    let max = 0xbf; // allowed range of the second byte
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) min = 0xa0; // overlong
      if (b === 0xed) max = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) min = 0x90; // overlong
      if (b === 0xf4) max = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= bytes.length) return i;
      const next = bytes[i + k]!;
      if (k === 1 ? next < min || next > max : next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return bytes.length;
}
