import { DPOTSError } from './dpo-ts-error.js';

/** A shape: array of dimension sizes; `null` in an expected shape matches any size. */
export type ShapeSpec = readonly (number | null)[];

/**
 * A tensor had the wrong shape: `chosenLogRatios must have shape [4]: got [3]`.
 */
export class ShapeMismatchError extends DPOTSError {
  readonly argument: string;
  readonly expected: ShapeSpec;
  readonly actual: readonly number[];

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
