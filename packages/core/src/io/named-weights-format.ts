import { endianness } from 'node:os';
import type * as tf from '@tensorflow/tfjs-core';
import { DataFormatError } from '../errors/data-format-error.js';
import type { TensorData } from '../training/checkpoint-format.js';
import { float32FromFloat16LittleEndian, writeFloat16LittleEndian } from './float16.js';

/** The `format` field of a {@link NamedWeightsManifest}. */
export const NAMED_WEIGHTS_FORMAT = 'dpo-ts.named-weights';

/**
 * How a weight's values lie in the weights file: `'float32'`, 4-byte IEEE floats (exact), or
 * `'float16'`, 2-byte IEEE halves (rounded to nearest even: relative error at most 2^-11, absolute
 * at most 2^-25 below 2^-14; half the bytes). Readers return float32 either way.
 */
export type NamedWeightsStorage = 'float32' | 'float16';

/** Options of {@link encodeNamedWeights} (and core's `saveNamedWeights`). */
export interface EncodeNamedWeightsOptions {
  /**
   * How float32 weights are stored; other dtypes are stored as they are. `'float16'` halves the
   * file and marks each such entry `"storage": "float16"`; `'float32'` writes exactly the
   * layout of files without the option.
   * @defaultValue 'float32'
   */
  readonly storage?: NamedWeightsStorage;
}

/** One weight's entry in a {@link NamedWeightsManifest}. */
export interface NamedWeightsManifestEntry {
  /** Stable, model-relative name (`h.0.attn.c_attn.kernel`). */
  readonly name: string;
  /** The weight's dimensions, checked against the model's variable when loading. */
  readonly shape: readonly number[];
  /** Byte offset of the first value in the weights file. */
  readonly offset: number;
  /** `4 * product(shape)`, or `2 * product(shape)` for `storage: 'float16'`. */
  readonly byteLength: number;
  /**
   * `'float16'` when the values are stored as little-endian IEEE halves (decoded to float32);
   * absent for float32 values. Readers before this field fail on such an entry's `byteLength`
   * rather than misread it.
   */
  readonly storage?: 'float16';
}

/**
 * The manifest of a named-weights file pair (`manifest.json` + `weights.bin` by default):
 * `{ format: "dpo-ts.named-weights", version: 1, dtype: "float32", byteOrder: "little-endian",
 * byteLength, weights: [...] }`. The weights file holds every weight's float32 values,
 * little-endian, row-major, concatenated in manifest order with no gaps (`offset` of entry
 * i+1 = offset + byteLength of entry i). An entry with `"storage": "float16"` holds 2-byte
 * IEEE halves instead (see {@link NamedWeightsStorage}); `dtype` stays the type readers return.
 *
 * The reader also accepts the earlier denoiser layout, `{ byteLength, weights: [{ name, shape,
 * dtype: "float32", offset, length }] }` without a `format` field (`length` counts values), in
 * which `@dpo-ts/diffusion`'s committed MNIST checkpoint is stored.
 */
export interface NamedWeightsManifest {
  /** Always {@link NAMED_WEIGHTS_FORMAT}, `'dpo-ts.named-weights'`. */
  readonly format: typeof NAMED_WEIGHTS_FORMAT;
  /** Layout version; only 1 exists. */
  readonly version: 1;
  /** Element type of every weight: 4-byte IEEE floats. */
  readonly dtype: 'float32';
  /** Byte order of the weights file, whatever the host's. */
  readonly byteOrder: 'little-endian';
  /** Size of the weights file. */
  readonly byteLength: number;
  /** Every weight, in file order. */
  readonly weights: readonly NamedWeightsManifestEntry[];
}

/** A manifest and the bytes of its weights file, as {@link encodeNamedWeights} makes them. */
export interface EncodedNamedWeights {
  /** The manifest, to be written as JSON. */
  readonly manifest: NamedWeightsManifest;
  /** The weights file's bytes, `manifest.byteLength` of them. */
  readonly data: Uint8Array;
}

/**
 * The {@link NamedWeightsManifest} and weights-file bytes of `weights`, in map order. Reads
 * the values asynchronously (`await tensor.data()`); creates no tensors.
 * @param options - `{ storage: 'float16' }` stores float32 weights as halves.
 * @throws InvalidArgumentError naming the weight, index and value when, with `storage: 'float16'`,
 *   a value is NaN, infinite or of magnitude above 65504 (`weights["text.tok"][7] must be a finite
 *   number of magnitude <= 65504 to be stored as float16: got 70000`).
 */
export async function encodeNamedWeights(
  weights: ReadonlyMap<string, tf.Tensor>,
  options: EncodeNamedWeightsOptions = {},
): Promise<EncodedNamedWeights> {
  const entries: NamedWeightsManifestEntry[] = [];
  let offset = 0;
  for (const [name, tensor] of weights) {
    const half = options.storage === 'float16' && tensor.dtype === 'float32';
    const byteLength = tensor.size * (half ? 2 : 4);
    entries.push({ name, shape: tensor.shape.slice(), offset, byteLength, ...(half ? { storage: 'float16' } : {}) });
    offset += byteLength;
  }
  const data = new Uint8Array(offset);
  const view = new DataView(data.buffer);
  let at = 0;
  for (const [index, tensor] of [...weights.values()].entries()) {
    const values = await tensor.data<'float32'>();
    if (entries[index]!.storage === 'float16') {
      writeFloat16LittleEndian(values, data, at, entries[index]!.name);
      at += values.length * 2;
      continue;
    }
    if (LITTLE_ENDIAN_HOST) {
      data.set(new Uint8Array(values.buffer, values.byteOffset, values.length * 4), at);
    } else {
      for (let i = 0; i < values.length; i++) view.setFloat32(at + i * 4, values[i]!, true);
    }
    at += values.length * 4;
  }
  const manifest: NamedWeightsManifest = {
    format: NAMED_WEIGHTS_FORMAT,
    version: 1,
    dtype: 'float32',
    byteOrder: 'little-endian',
    byteLength: offset,
    weights: entries,
  };
  return { manifest, data };
}

/** Where a manifest and its weights file were read from, for error messages. */
export interface NamedWeightsSource {
  /** Path of the manifest file. */
  readonly manifest: string;
  /** Path of the weights file. */
  readonly weights: string;
}

/**
 * Validates a parsed manifest against its weights file and returns every weight's values by
 * name (plain arrays, no tensors), in manifest order. Entries stored as float16 are converted
 * back to float32 exactly (every half is a float32).
 *
 * @throws DataFormatError naming the file: a wrong `format`, version, dtype or byte order, a
 *   weights file of another size than `byteLength`, an unknown `storage`, or an entry whose
 *   shape, size or offset does not fit (`manifest.json: weight "in.kernel" has shape [3, 4], which needs 48 bytes: got byteLength 64`).
 */
export function decodeNamedWeights(
  manifest: unknown,
  bytes: Uint8Array,
  source: NamedWeightsSource,
): Map<string, TensorData> {
  const fail = (reason: string): never => {
    throw new DataFormatError(source.manifest, 0, reason);
  };
  const header = (manifest ?? {}) as Partial<Record<string, unknown>>;
  const legacy = typeof manifest === 'object' && manifest !== null && !('format' in manifest);
  if (!legacy) {
    if (header.format !== NAMED_WEIGHTS_FORMAT)
      fail(`field "format" must be "${NAMED_WEIGHTS_FORMAT}": got ${JSON.stringify(header.format)}`);
    if (header.version !== 1 || header.dtype !== 'float32' || header.byteOrder !== 'little-endian') {
      fail('must be version 1, dtype "float32", byteOrder "little-endian"');
    }
  }
  if (!Array.isArray(header.weights) || !Number.isInteger(header.byteLength))
    fail('needs a "weights" array and an integer "byteLength"');
  if (bytes.byteLength !== header.byteLength) {
    throw new DataFormatError(
      source.weights,
      0,
      `has ${bytes.byteLength} bytes, ${baseName(source.manifest)} says ${String(header.byteLength)}`,
    );
  }
  const weights = new Map<string, TensorData>();
  let expectedOffset = 0;
  (header.weights as unknown[]).forEach((raw, i) => {
    const entry = (raw ?? {}) as Partial<Record<string, unknown>>;
    const name =
      typeof entry.name === 'string'
        ? entry.name
        : fail(`weights[${i}].name must be a string: got ${JSON.stringify(entry.name)}`);
    const shape =
      Array.isArray(entry.shape) && entry.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
        ? (entry.shape as number[])
        : fail(`weight "${name}" needs a shape of non-negative integers: got ${JSON.stringify(entry.shape)}`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (legacy && entry.dtype !== undefined && entry.dtype !== 'float32')
      fail(`weight "${name}" must have dtype "float32": got ${JSON.stringify(entry.dtype)}`);
    if (entry.storage !== undefined && entry.storage !== 'float16')
      fail(`weight "${name}" must have storage "float16" or none (float32): got ${JSON.stringify(entry.storage)}`);
    const half = !legacy && entry.storage === 'float16';
    const bytesPerValue = half ? 2 : 4;
    const byteLength = legacy ? (entry.length as number) * 4 : entry.byteLength;
    if (byteLength !== size * bytesPerValue) {
      fail(
        `weight "${name}" has shape [${shape.join(', ')}]${half ? ' stored as float16' : ''}, which needs ${size * bytesPerValue} bytes: got ${legacy ? `length ${String(entry.length)}` : `byteLength ${String(entry.byteLength)}`}`,
      );
    }
    const offset = entry.offset;
    const fits = legacy
      ? Number.isInteger(offset) &&
        (offset as number) % 4 === 0 &&
        (offset as number) >= 0 &&
        (offset as number) + size * 4 <= bytes.byteLength
      : offset === expectedOffset;
    if (!fits)
      fail(
        `weight "${name}" must start at byte ${legacy ? 'a multiple of 4 inside the weights file' : expectedOffset}: got offset ${String(offset)}`,
      );
    expectedOffset += size * bytesPerValue;
    const values = half
      ? float32FromFloat16LittleEndian(bytes, offset as number, size)
      : float32FromLittleEndian(bytes, offset as number, size);
    weights.set(name, { dtype: 'float32', shape, values });
  });
  if (!legacy && expectedOffset !== header.byteLength)
    fail(`byteLength ${String(header.byteLength)} differs from the weights' total ${expectedOffset}`);
  return weights;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** `length` float32 values stored little-endian at byte `offset` of `bytes`, in a new aligned array. */
function float32FromLittleEndian(bytes: Uint8Array, offset: number, length: number): Float32Array {
  if (LITTLE_ENDIAN_HOST) {
    // Copy into an aligned buffer: a Node Buffer may start at any byte offset of its pool.
    return new Float32Array(new Uint8Array(bytes.subarray(offset, offset + length * 4)).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * 4);
  return Float32Array.from({ length }, (_, i) => view.getFloat32(i * 4, true));
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}
