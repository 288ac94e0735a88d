import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataFormatError } from '../errors/data-format-error.js';
import type { TensorData } from '../training/checkpoint-format.js';
import { writeDirectoryAtomic } from './atomic-file.js';
import { decodeNamedWeights, type EncodeNamedWeightsOptions, encodeNamedWeights } from './named-weights-format.js';

/** The file names of one manifest and weights-file pair inside a weights directory. */
export interface NamedWeightsFiles {
  /** @defaultValue 'manifest.json' */
  readonly manifest?: string;
  /** @defaultValue 'weights.bin' */
  readonly weights?: string;
}

/**
 * The last argument of {@link saveNamedWeights}: other file names and, from
 * `EncodeNamedWeightsOptions`, `storage` (`'float16'` stores float32 weights as halves).
 */
export interface SaveNamedWeightsOptions extends NamedWeightsFiles, EncodeNamedWeightsOptions {}

/** What {@link loadNamedWeights} returns. */
export interface LoadedNamedWeights {
  /** The parsed manifest, with any extra fields the writer added (a model marker, say). */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** Every weight's values by name, in manifest order; plain arrays, nothing to dispose. */
  readonly weights: Map<string, TensorData>;
}

/** File names of the weights in a model directory: `manifest.json` and `weights.bin`. */
export const DEFAULT_NAMED_WEIGHTS_FILES = Object.freeze({
  /** The {@link NamedWeightsManifest}, UTF-8 JSON. */
  manifest: 'manifest.json',
  /** Every weight's float32 values (or float16, see `NamedWeightsStorage`), little-endian, in manifest order. */
  weights: 'weights.bin',
});

/**
 * Saves named weights as a directory, atomically ({@link writeDirectoryAtomic}: readers see the
 * old directory or the new one, never a mixture): `manifest.json` (a `NamedWeightsManifest`),
 * `weights.bin` (float32 little-endian values in manifest order; float16 with
 * `{ storage: 'float16' }`) and `extraFiles`, typically the model's `config.json`.
 *
 * Reads the weights asynchronously; creates no tensors.
 * @param dir - the directory to create or replace.
 * @param weights - the weights by stable name (a model's `namedVariables()`).
 * @param extraFiles - further files of the directory, file name to content.
 * @param options - other names for the manifest and weights files, and the `storage` of float32
 *   weights (`'float32'` by default; `'float16'` halves the file, see `encodeNamedWeights`).
 * @throws InvalidArgumentError naming the weight and value that float16 cannot hold (NaN,
 *   infinite, magnitude above 65504); nothing is written then.
 * @example
 * await saveNamedWeights('runs/gpt', model.namedVariables(), { 'config.json': formatJsonFile(model.config) });
 * await saveNamedWeights('runs/gpt-small', model.namedVariables(), {}, { storage: 'float16' });
 */
export async function saveNamedWeights(
  dir: string,
  weights: ReadonlyMap<string, tf.Tensor>,
  extraFiles: Readonly<Record<string, string | Uint8Array>> = {},
  options: SaveNamedWeightsOptions = {},
): Promise<void> {
  const names = {
    manifest: options.manifest ?? DEFAULT_NAMED_WEIGHTS_FILES.manifest,
    weights: options.weights ?? DEFAULT_NAMED_WEIGHTS_FILES.weights,
  };
  const { manifest, data } = await encodeNamedWeights(weights, { storage: options.storage });
  await writeDirectoryAtomic(dir, { ...extraFiles, [names.manifest]: formatJsonFile(manifest), [names.weights]: data });
}

/**
 * Reads the manifest and weights file that {@link saveNamedWeights} wrote (or the earlier
 * denoiser layout; see `NamedWeightsManifest`) and returns every weight's values by name. The
 * caller matches them to its variables (names, shapes) and assigns them.
 *
 * @throws DataFormatError naming the file for invalid JSON, a malformed manifest or a weights
 *   file that does not fit it.
 */
export async function loadNamedWeights(dir: string, files: NamedWeightsFiles = {}): Promise<LoadedNamedWeights> {
  const names = { ...DEFAULT_NAMED_WEIGHTS_FILES, ...files };
  const manifestPath = join(dir, names.manifest);
  const weightsPath = join(dir, names.weights);
  const manifest = await readJsonFile(manifestPath);
  const bytes = await readFile(weightsPath);
  return { manifest, weights: decodeNamedWeights(manifest, bytes, { manifest: manifestPath, weights: weightsPath }) };
}

/** `value` as the JSON files dpo-ts writes: two-space indentation and a final newline. */
export function formatJsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Reads and parses a JSON file that must hold an object.
 * @throws DataFormatError naming the file when it is not valid JSON or not an object.
 */
export async function readJsonFile(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(path, 0, `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DataFormatError(path, 0, 'must hold a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Calls `assign` (a model's `assignWeights`, say) with `weights` as new float32 tensors, and
 * disposes those tensors afterwards, also when `assign` throws: `assign` must copy what it keeps.
 */
export function assignNamedWeights(
  weights: ReadonlyMap<string, TensorData>,
  assign: (tensors: Map<string, tf.Tensor>) => void,
): void {
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, data] of weights) tensors.set(name, tf.tensor(data.values, [...data.shape], data.dtype));
    assign(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
