import { DataFormatError } from '../errors/data-format-error.js';
import { firstInvalidUtf8Offset } from './jsonl-lines.js';

/**
 * Decodes a whole (small) text file as strict UTF-8, for data formats read in one piece (CSV):
 * invalid bytes are a {@link DataFormatError} at their 1-based line, with the byte offset in
 * that line, never U+FFFD. A byte-order mark is kept, as `readFile(file, 'utf8')` keeps it.
 * Streaming JSONL readers use {@link decodeJsonlLines} instead.
 *
 * @param file - names the file in errors.
 * @example
 * const text = decodeUtf8Text(await readFile('comparisons.csv'), 'comparisons.csv');
 */
export function decodeUtf8Text(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    const offset = firstInvalidUtf8Offset(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1; // 0 when there is no newline before
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line += 1;
    throw new DataFormatError(
      file,
      line,
      `invalid UTF-8 at byte ${offset - lineStart} of the line (the file must be UTF-8 encoded)`,
      { cause: error },
    );
  }
}
