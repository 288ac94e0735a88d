/**
 * Base class of every error dpo-ts throws on purpose.
 *
 * Catch `DPOTSError` to tell the framework's own, explained failures (bad configuration,
 * malformed data, shape mismatches, non-finite losses) from bugs and system errors.
 */
export class DPOTSError extends Error {
  /**
   * Creates the error; `name` becomes the subclass's name (`InvalidArgumentError`, ...).
   * @param message - the whole explanation, shown as is.
   * @param options - `cause`: the underlying error, kept as `error.cause`.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
