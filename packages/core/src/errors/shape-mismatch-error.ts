import { DPOTSError } from './dpo-ts-error.js';

/** A shape: array of dimension sizes; `null` in an expected shape matches any size. */
export type ShapeSpec = readonly (number | null)[];

/**
 * A tensor had the wrong shape: `chosenLogRatios must have shape [4]: got [3]`.
 */
export class ShapeMismatchError extends DPOTSError {
  /** Name of the tensor argument or field whose shape is wrong (`chosenLogRatios`). */
  readonly argument: string;
  /** The shape it must have; `null` marks a dimension of any size. */
  readonly expected: ShapeSpec;
  /** The shape it has. */
  readonly actual: readonly number[];

  /**
   * Builds the message `<argument> must have shape [2, ?]: got [3]` (`(<detail>)` appended).
   * @param argument - the tensor's name.
   * @param expected - the required shape, `null` for any size.
   * @param actual - the tensor's shape.
   * @param detail - optional context, e.g. which other tensor fixed the batch size.
   */
  constructor(argument: string, expected: ShapeSpec, actual: readonly number[], detail?: string) {
    super(
      `${argument} must have shape ${formatShape(expected)}: got ${formatShape(actual)}${detail ? ` (${detail})` : ''}`,
    );
    this.argument = argument;
    this.expected = expected;
    this.actual = actual;
  }
}

/** `[2,null,3]` -> `"[2, ?, 3]"`. */
export function formatShape(shape: ShapeSpec): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * Throws {@link ShapeMismatchError} unless `actual` matches `expected` (same rank; every
 * non-null expected size equal).
 */
export function assertShape(argument: string, actual: readonly number[], expected: ShapeSpec, detail?: string): void {
  const ok = actual.length === expected.length && expected.every((size, i) => size === null || size === actual[i]);
  if (!ok) throw new ShapeMismatchError(argument, expected, actual, detail);
}
