import { DPOTSError } from './dpo-ts-error.js';
import { printableText } from './printable-text.js';

/**
 * A data file is malformed: bad JSON, a missing or mistyped field, an empty file.
 * Names the file and the 1-based line so the user can open it there.
 *
 * `data/pairs.jsonl:17: field "chosen" must be a string: got 3`
 *
 * The file name and the reason pass through {@link printableText}: control characters copied
 * from a file (NUL, ESC, a lone CR) appear escaped, never raw.
 */
export class DataFormatError extends DPOTSError {
  /** Path of the file, as given by the caller. */
  readonly file: string;
  /** 1-based line number; 0 when the problem concerns the whole file (for example, empty). */
  readonly line: number;
  /** What is wrong, without the location prefix (control characters escaped). */
  readonly reason: string;

  /**
   * Builds the message `<file>:<line>: <reason>` (`<file>: <reason>` when line is 0), with
   * control characters in `file` and `reason` escaped.
   * @param file - the file's path as the caller gave it.
   * @param line - 1-based line number, or 0 for the whole file.
   * @param reason - what is wrong.
   * @param options - `cause`: the underlying error (a JSON.parse SyntaxError, an fs error).
   */
  constructor(file: string, line: number, reason: string, options?: { cause?: unknown }) {
    const printableReason = printableText(reason);
    const printableFile = printableText(file);
    super(line > 0 ? `${printableFile}:${line}: ${printableReason}` : `${printableFile}: ${printableReason}`, options);
    this.file = file;
    this.line = line;
    this.reason = printableReason;
  }
}
