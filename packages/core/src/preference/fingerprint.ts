import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';

/**
 * Content fingerprints for caches: a cache of reference scores is valid only for the exact
 * reference model (architecture and weights), scoring, data and backend it was computed from,
 * so each is hashed (SHA-256, hex) and the cache is keyed by the combination.
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

/**
 * A fingerprint given as named parts, each a hash (or short tag) of one thing a cached value
 * depends on: `{ model, weights, tokenizer, scoring, 'data/train', backend }`. Combined into one
 * string with {@link combineFingerprintParts}; kept by name so that a cache miss can say which
 * part changed (`fingerprint parts that differ: model`).
 */
export type FingerprintParts = Readonly<Record<string, string>>;

/**
 * One fingerprint from named parts, independent of their order: SHA-256 over the sorted
 * `name=value` pairs.
 */
export function combineFingerprintParts(parts: FingerprintParts): string {
  const sorted = Object.keys(parts)
    .sort()
    .map((name) => `${name}=${parts[name]}`);
  return createHash('sha256').update(sorted.join('\u0000')).digest('hex');
}

/**
 * Checks that `parts` is a non-empty object of non-empty strings.
 * @throws InvalidArgumentError naming `argument` (or `argument.<part>`).
 */
export function requireFingerprintParts(argument: string, parts: unknown): FingerprintParts {
  if (parts === null || typeof parts !== 'object' || Array.isArray(parts) || Object.keys(parts).length === 0) {
    throw new InvalidArgumentError(argument, 'a non-empty string or an object of named fingerprint parts', parts);
  }
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value !== 'string' || value === '')
      throw new InvalidArgumentError(`${argument}.${name}`, 'a non-empty string', value);
  }
  return Object.freeze({ ...(parts as Record<string, string>) });
}

/**
 * The part of a score fingerprint that names where scores are computed: the tfjs backend
 * (`cpu`, `wasm`, `webgpu`, `tensorflow`). Backends round differently in the last bits, so a
 * cache from another backend would make a run differ from the same run with fresh scores; the
 * dtype is float32 on every backend dpo-ts supports, so it needs no part of its own.
 */
export function backendFingerprint(): string {
  return `tfjs-backend:${tf.getBackend()}`;
}

/**
 * Content checksum of cached pair scores: SHA-256 over the fingerprint and every entry
 * (`key`, chosen, rejected as shortest round-trip decimals), in key order. A value edited in
 * the file changes it.
 */
export function checksumScoreEntries(
  fingerprint: string,
  entries: ReadonlyMap<string, { readonly chosen: number; readonly rejected: number }>,
): string {
  const hash = createHash('sha256').update(`${fingerprint}\u0000`);
  for (const key of [...entries.keys()].sort()) {
    const { chosen, rejected } = entries.get(key)!;
    hash.update(`${JSON.stringify(key)}:${chosen}:${rejected}\n`);
  }
  return hash.digest('hex');
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
