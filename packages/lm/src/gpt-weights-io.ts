import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import type { NamedVariables } from '@dpo-ts/core';
import type { GPTConfig } from './gpt-config.js';
import { GPT } from './gpt-model.js';
import { writeDirectoryAtomic } from '@dpo-ts/core';

/** Identifies {@link WeightsManifest} files. */
export const WEIGHTS_FORMAT = 'dpo-ts.named-weights';

/** One weight's entry in a {@link WeightsManifest}. */
export interface WeightsManifestEntry {
  /** Stable name (`h.0.attn.c_attn.kernel`). */
  readonly name: string;
  readonly shape: readonly number[];
  /** Byte offset of the first value in `weights.bin`. */
  readonly offset: number;
  /** `4 * product(shape)`. */
  readonly byteLength: number;
}

/**
 * `manifest.json` of a saved model. The folder holds three files:
 * - `config.json`: the resolved {@link GPTConfig};
 * - `manifest.json`: this object, `{ format: "dpo-ts.named-weights", version: 1,
 *   dtype: "float32", byteOrder: "little-endian", byteLength, weights: [...] }`;
 * - `weights.bin`: every weight's float32 values, little-endian, row-major, concatenated in
 *   manifest order with no gaps (`offset` of entry i+1 = offset + byteLength of entry i).
 */
export interface WeightsManifest {
  readonly format: typeof WEIGHTS_FORMAT;
  readonly version: 1;
  readonly dtype: 'float32';
  readonly byteOrder: 'little-endian';
  /** Size of `weights.bin`. */
  readonly byteLength: number;
  readonly weights: readonly WeightsManifestEntry[];
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('dpo-ts weight files are little-endian; big-endian hosts are not supported');
}

/**
 * Saves a model to folder `dir` (created if needed, replaced atomically if it exists):
 * `config.json`, `manifest.json` and `weights.bin` as described by {@link WeightsManifest}.
 * Reads the weights synchronously; creates no lasting tensors.
 */
export async function saveGPT(model: GPT, dir: string): Promise<void> {
  assertLittleEndian();
  const { manifest, data } = serialiseWeights(model.namedVariables());
  await writeDirectoryAtomic(dir, {
    'config.json': `${JSON.stringify(model.config, null, 2)}\n`,
    'manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'weights.bin': data,
  });
}

/** A new {@link GPT} from a folder written by {@link saveGPT}. The caller disposes it. */
export async function loadGPT(dir: string): Promise<GPT> {
  const configPath = join(dir, 'config.json');
  const config = parseJSON(configPath, await readFile(configPath, 'utf8')) as GPTConfig;
  let model: GPT;
  try {
    model = new GPT(config);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new DataFormatError(configPath, 0, error.message, { cause: error });
    throw error;
  }
  try {
    await loadGPTWeights(model, dir);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/**
 * Overwrites `model`'s weights from a folder written by {@link saveGPT}; names and shapes must
 * match exactly (for example, to start a DPO policy from an SFT checkpoint).
 * Throws `DataFormatError` naming the file on a malformed manifest or a size mismatch.
 */
export async function loadGPTWeights(model: GPT, dir: string): Promise<void> {
  assertLittleEndian();
  const manifestPath = join(dir, 'manifest.json');
  const weightsPath = join(dir, 'weights.bin');
  const manifest = validateManifest(manifestPath, parseJSON(manifestPath, await readFile(manifestPath, 'utf8')));
  const bytes = await readFile(weightsPath);
  if (bytes.byteLength !== manifest.byteLength) {
    throw new DataFormatError(weightsPath, 0, `has ${bytes.byteLength} bytes, manifest.json says ${manifest.byteLength}`);
  }
  // Copy into an aligned buffer: a Node Buffer may start at any byte offset of its pool.
  const values = new Float32Array(new Uint8Array(bytes).buffer);
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const entry of manifest.weights) {
      const start = entry.offset / 4;
      tensors.set(entry.name, tf.tensor(values.subarray(start, start + entry.byteLength / 4), [...entry.shape], 'float32'));
    }
    model.assignWeights(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/** The manifest and the bytes of `weights.bin` for `variables`. @internal */
export function serialiseWeights(variables: NamedVariables): { manifest: WeightsManifest; data: Uint8Array } {
  const weights: WeightsManifestEntry[] = [];
  let offset = 0;
  for (const [name, variable] of variables) {
    weights.push({ name, shape: variable.shape.slice(), offset, byteLength: variable.size * 4 });
    offset += variable.size * 4;
  }
  const data = new Float32Array(offset / 4);
  let index = 0;
  for (const variable of variables.values()) {
    data.set(variable.dataSync() as Float32Array, index);
    index += variable.size;
  }
  const manifest: WeightsManifest = { format: WEIGHTS_FORMAT, version: 1, dtype: 'float32', byteOrder: 'little-endian', byteLength: offset, weights };
  return { manifest, data: new Uint8Array(data.buffer) };
}

function parseJSON(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(path, 0, `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function validateManifest(path: string, value: unknown): WeightsManifest {
  const manifest = value as Partial<WeightsManifest> | null;
  const fail = (reason: string): never => {
    throw new DataFormatError(path, 0, reason);
  };
  if (manifest?.format !== WEIGHTS_FORMAT) fail(`field "format" must be "${WEIGHTS_FORMAT}": got ${JSON.stringify(manifest?.format)}`);
  if (manifest!.version !== 1 || manifest!.dtype !== 'float32' || manifest!.byteOrder !== 'little-endian') {
    fail('must be version 1, dtype "float32", byteOrder "little-endian"');
  }
  if (!Array.isArray(manifest!.weights) || !Number.isInteger(manifest!.byteLength)) fail('needs a "weights" array and an integer "byteLength"');
  let expectedOffset = 0;
  manifest!.weights!.forEach((entry, i) => {
    const size = Array.isArray(entry?.shape) && entry.shape.every((d) => Number.isInteger(d) && d >= 0) ? entry.shape.reduce((a, b) => a * b, 1) : -1;
    if (typeof entry?.name !== 'string' || size < 0 || entry.offset !== expectedOffset || entry.byteLength !== size * 4) {
      fail(`weights[${i}] must be { name, shape, offset: ${expectedOffset}, byteLength: 4 * size }: got ${JSON.stringify(entry)}`);
    }
    expectedOffset += entry.byteLength;
  });
  if (expectedOffset !== manifest!.byteLength) fail(`byteLength ${manifest!.byteLength} differs from the weights' total ${expectedOffset}`);
  return manifest as WeightsManifest;
}
