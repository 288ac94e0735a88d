import * as tf from '@tensorflow/tfjs-core';

/** Tolerances for {@link expectClose}: |actual - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  /** @defaultValue 1e-5 */
  readonly atol?: number;
  /** @defaultValue 1e-5 */
  readonly rtol?: number;
}

/** Anything {@link expectClose} compares: a number, nested arrays, a Float32Array or a tensor. */
export type Numeric = number | readonly number[] | readonly (readonly number[])[] | Float32Array | tf.Tensor;

function flatten(value: Numeric, label: string): { values: number[]; shape: number[] } {
  if (value instanceof tf.Tensor) return { values: Array.from(value.dataSync()), shape: value.shape.slice() };
  if (typeof value === 'number') return { values: [value], shape: [] };
  if (value instanceof Float32Array) return { values: Array.from(value), shape: [value.length] };
  const rows = value as readonly (number | readonly number[])[];
  if (rows.length > 0 && Array.isArray(rows[0])) {
    const inner = (rows[0] as readonly number[]).length;
    const values: number[] = [];
    for (const row of rows as readonly (readonly number[])[]) {
      if (row.length !== inner) throw new Error(`${label} is a ragged array`);
      values.push(...row);
    }
    return { values, shape: [rows.length, inner] };
  }
  return { values: Array.from(rows as readonly number[]), shape: [rows.length] };
}

/**
 * Asserts that two tensors or arrays are equal elementwise within tolerance; NaN matches only
 * NaN and infinities match only the same infinity. Throws an Error listing the first mismatches
 * (index, actual, expected) so a failing test says what differed. Reads tensors synchronously
 * and does not dispose them.
 */
export function expectClose(actual: Numeric, expected: Numeric, tolerance: Tolerance = {}): void {
  const { atol = 1e-5, rtol = 1e-5 } = tolerance;
  const a = flatten(actual, 'actual');
  const e = flatten(expected, 'expected');
  if (a.values.length !== e.values.length) {
    throw new Error(
      `expectClose: actual has ${a.values.length} values (shape [${a.shape}]), expected ${e.values.length} (shape [${e.shape}])`,
    );
  }
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor && a.shape.join() !== e.shape.join()) {
    throw new Error(`expectClose: actual shape [${a.shape}] differs from expected shape [${e.shape}]`);
  }
  const mismatches: string[] = [];
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    const ok = Number.isNaN(y)
      ? Number.isNaN(x)
      : !Number.isFinite(y)
        ? x === y
        : Number.isFinite(x) && Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) mismatches.push(`[${i}] actual ${x} expected ${y} (diff ${Math.abs(x - y).toExponential(3)})`);
  }
  if (mismatches.length > 0) {
    throw new Error(
      `expectClose: ${mismatches.length} of ${a.values.length} values differ beyond atol ${atol} + rtol ${rtol}:\n  ` +
        mismatches.slice(0, 8).join('\n  ') +
        (mismatches.length > 8 ? `\n  ... and ${mismatches.length - 8} more` : ''),
    );
  }
}
