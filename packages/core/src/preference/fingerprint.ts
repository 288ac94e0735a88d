import { createHash } from 'node:crypto';
import type { NamedVariables } from '../surrogate/preference-scorer.js';

/**
 * Content fingerprints for caches: a cache of reference scores is valid only for the exact
 * reference weights and the exact data it was computed from, so both are hashed (SHA-256,
 * hex) and the cache is keyed by the combination.
 */

/**
 * Fingerprint of model weights: SHA-256 over every variable's name, dtype, shape and bytes,
 * in name order. Reads each variable asynchronously (webgpu-safe); disposes nothing.
 */
export async function fingerprintVariables(variables: NamedVariables): Promise<string> {
  const hash = createHash('sha256');
  for (const name of [...variables.keys()].sort()) {
    const variable = variables.get(name)!;
    const data = await variable.data();
    hash.update(`${name}\u0000${variable.dtype}\u0000${variable.shape.join('x')}\u0000`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}

/**
 * Fingerprint of any JSON-serialisable value (a dataset's records, a config), with object keys
 * sorted so that key order does not matter.
 */
export function fingerprintJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** One fingerprint from several (order matters): SHA-256 of the parts joined. */
export function combineFingerprints(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
