import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@dpo-ts/core';

/**
 * JSON with object keys sorted at every level, so equal values always give equal text (and the
 * same hash) whatever order their keys were built in. Only plain JSON values are accepted:
 * a key must not depend on `undefined` silently vanishing or `NaN` turning into `null`.
 *
 * @param argument - names the value in errors (`payload`).
 * @throws InvalidArgumentError naming the path of a value JSON cannot carry exactly
 *   (`payload.rates[2] must be a finite number: got NaN`).
 */
export function canonicalJson(value: unknown, argument = 'value'): string {
  return JSON.stringify(canonicalize(value, argument));
}

function canonicalize(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(path, 'a finite number', value);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => canonicalize(item, `${path}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field === undefined) throw new InvalidArgumentError(`${path}.${key}`, 'a JSON value', field);
      sorted[key] = canonicalize(field, `${path}.${key}`);
    }
    return sorted;
  }
  throw new InvalidArgumentError(
    path,
    'a JSON value (null, boolean, finite number, string, array, plain object)',
    value,
  );
}

/** SHA-256 of `text`, lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
