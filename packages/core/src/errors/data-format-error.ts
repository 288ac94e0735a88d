import { DPOTSError } from './dpo-ts-error.js';

/**
 * A data file is malformed: bad JSON, a missing or mistyped field, an empty file.
 * Names the file and the 1-based line so the user can open it there.
 *
 * `data/pairs.jsonl:17: field "chosen" must be a string: got 3`
 */
export class DataFormatError extends DPOTSError {
  /** Path of the file, as given by the caller. */
  readonly file: string;
  /** 1-based line number; 0 when the problem concerns the whole file (for example, empty). */
  readonly line: number;
  /** What is wrong, without the location prefix. */
  readonly reason: string;

  constructor(file: string, line: number, reason: string, options?: { cause?: unknown }) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}
