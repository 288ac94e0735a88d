import { InvalidArgumentError } from './invalid-argument-error.js';

/**
 * Small validators for configuration boundaries. Each throws {@link InvalidArgumentError}
 * naming the argument, the expectation and the actual value, and returns the value typed.
 */

/** A finite number, optionally within [min, max] (inclusive unless `exclusiveMin`). */
export function requireNumber(
  argument: string,
  value: unknown,
  range: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {},
): number {
  const { min, max, exclusiveMin = false, exclusiveMax = false } = range;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${exclusiveMin ? '>' : '>='} ${min}`);
  if (max !== undefined) parts.push(`${exclusiveMax ? '<' : '<='} ${max}`);
  const expected = `a finite number${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidArgumentError(argument, expected, value);
  if (min !== undefined && (exclusiveMin ? value <= min : value < min))
    throw new InvalidArgumentError(argument, expected, value);
  if (max !== undefined && (exclusiveMax ? value >= max : value > max))
    throw new InvalidArgumentError(argument, expected, value);
  return value;
}

/** An integer, optionally within [min, max]. */
export function requireInteger(argument: string, value: unknown, range: { min?: number; max?: number } = {}): number {
  const { min, max } = range;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`>= ${min}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  const expected = `an integer${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidArgumentError(argument, expected, value);
  if ((min !== undefined && value < min) || (max !== undefined && value > max))
    throw new InvalidArgumentError(argument, expected, value);
  return value;
}

/** One of a fixed set of strings. */
export function requireOneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(argument, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  }
  return value as T;
}

/** A boolean. */
export function requireBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(argument, 'a boolean', value);
  return value;
}

/** A non-empty string. */
export function requireString(argument: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgumentError(argument, 'a non-empty string', value);
  return value;
}

/**
 * Refuses every field of the object `value` that is not in `known`, naming it with its path
 * (`config.lerningRate must be absent (known fields: totalSteps, learningRate, ...): got 1`):
 * a misspelt option would otherwise be ignored silently.
 */
export function requireKnownFields(argument: string, value: object, known: Iterable<string>): void {
  const allowed = new Set(known);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new InvalidArgumentError(
        `${argument}.${key}`,
        `absent (known fields: ${[...allowed].join(', ')})`,
        (value as Record<string, unknown>)[key],
      );
    }
  }
}

/** The largest finite float32, `(2 - 2^-23) * 2^127`. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The smallest positive normal float32, `2^-126`; backends may flush smaller values to zero. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * A finite number that float32 tensors can hold, optionally within a range (see
 * {@link requireNumber}). A double such as `1e39` is finite in JavaScript but becomes Infinity
 * in a float32 tensor, and `1e-40` becomes a subnormal that some backends flush to zero: both
 * are refused, naming the argument (`maxGradNorm must be a number representable as float32 (magnitude <= 3.4028234663852886e+38): got 1e+39`).
 */
export function requireFloat32(
  argument: string,
  value: unknown,
  range: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {},
): number {
  const number = requireNumber(argument, value, range);
  if (Math.abs(number) > FLOAT32_MAX) {
    throw new InvalidArgumentError(argument, `a number representable as float32 (magnitude <= ${FLOAT32_MAX})`, value);
  }
  if (number !== 0 && Math.abs(number) < FLOAT32_MIN_NORMAL) {
    throw new InvalidArgumentError(
      argument,
      `0 or a number representable as a normal float32 (magnitude >= ${FLOAT32_MIN_NORMAL})`,
      value,
    );
  }
  return number;
}
