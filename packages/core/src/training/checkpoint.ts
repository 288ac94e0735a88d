import { promises as fs } from 'node:fs';
import { endianness } from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { DataFormatError } from '../errors/data-format-error.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import type { AdamWMoments, AdamWState } from './adamw-optimizer.js';
import { fsyncDirectory, moveDirectoryIntoPlace, temporaryName, writeFileAtomic, writeFileDurable } from '../io/atomic-file.js';
import {
  BYTES_PER_ELEMENT,
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  checkpointDirectoryName,
  parseCheckpointDirectoryName,
  parseCheckpointManifest,
  type CheckpointManifest,
  type CheckpointTensorEntry,
  type JsonValue,
  type TensorData,
} from './checkpoint-format.js';
import type { RngState } from './rng.js';

/** What a checkpoint holds besides its step. See {@link saveCheckpoint}. */
export interface CheckpointContent {
  /** Model weights by stable name; a `NamedVariables` map fits. float32 or int32. Read, not disposed. */
  readonly weights: ReadonlyMap<string, tf.Tensor>;
  /** From `await optimizer.state()`. */
  readonly optimizer?: AdamWState;
  /** Named generator states, e.g. `{ data: dataRng.state(), noise: noiseRng.state() }`. */
  readonly rng?: Readonly<Record<string, RngState>>;
  /** Any JSON: trainer config, loss state, data position. NaN and Infinity become null, as in JSON.stringify. */
  readonly metadata?: JsonValue;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /**
   * Keep only the newest `keepLast` step directories (by step), deleting older ones after the
   * new checkpoint is complete and `latest` points to it.
   * @defaultValue undefined (keep all)
   */
  readonly keepLast?: number;
}

/** Where {@link saveCheckpoint} wrote, and what it pruned. */
export interface SavedCheckpoint {
  /** The step directory, `<dir>/step-000120`. */
  readonly path: string;
  readonly step: number;
  /** Step directories deleted by `keepLast`. */
  readonly removed: readonly string[];
}

/** A checkpoint read back by {@link loadCheckpoint}: plain arrays, no tensors to dispose. */
export interface LoadedCheckpoint {
  /** The step directory it was read from. */
  readonly path: string;
  /** Optimiser steps completed; a resumed loop runs step index `step` next. */
  readonly step: number;
  /** Weights by name; assign them with {@link restoreWeights}. */
  readonly weights: ReadonlyMap<string, TensorData>;
  /** For `optimizer.loadState`; undefined when none was saved. */
  readonly optimizer: AdamWState | undefined;
  readonly rng: Readonly<Record<string, RngState>>;
  readonly metadata: JsonValue;
  readonly manifest: CheckpointManifest;
}

/** One complete checkpoint found in a directory. */
export interface CheckpointListing {
  readonly step: number;
  readonly path: string;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Writes a checkpoint to `<dir>/step-<step, 6 digits>/` in the documented format (see
 * `checkpoint-format.ts`), atomically: the files go into a temporary directory in `dir`, are
 * fsynced, and the directory is renamed into place; then the `latest` pointer is replaced by
 * rename; then, with `keepLast`, older step directories are deleted. Tensor values are read
 * with `await tensor.data()`, one tensor at a time, and streamed to disk.
 *
 * An existing directory for the same step is replaced.
 *
 * @param checkpoint.step - optimiser steps completed (the loop passes its completed count).
 */
export async function saveCheckpoint(
  dir: string,
  checkpoint: CheckpointContent & { readonly step: number },
  options: SaveCheckpointOptions = {},
): Promise<SavedCheckpoint> {
  const step = requireInteger('checkpoint.step', checkpoint.step, { min: 0 });
  const keepLast = options.keepLast === undefined ? undefined : requireInteger('keepLast', options.keepLast, { min: 1 });
  for (const [name, tensor] of checkpoint.weights) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') {
      throw new InvalidArgumentError(`checkpoint.weights.get("${name}").dtype`, '"float32" or "int32"', tensor.dtype);
    }
  }
  await fs.mkdir(dir, { recursive: true });
  const name = checkpointDirectoryName(step);
  const target = path.join(dir, name);
  const temporary = path.join(dir, temporaryName(name));
  await fs.mkdir(temporary);
  try {
    const entries: CheckpointTensorEntry[] = [];
    let offset = 0;
    const add = (entryName: string, shape: readonly number[], values: Float32Array | Int32Array): Uint8Array => {
      const dtype = values instanceof Int32Array ? 'int32' : 'float32';
      entries.push({ name: entryName, dtype, shape: shape.slice(), offset, byteLength: values.byteLength });
      offset += values.byteLength;
      return littleEndianBytes(values);
    };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const [weightName, tensor] of checkpoint.weights) {
        const values = (await tensor.data()) as Float32Array | Int32Array;
        yield add(`weights/${weightName}`, tensor.shape, values);
      }
      for (const [variable, moments] of checkpoint.optimizer?.moments ?? []) {
        yield add(`optimizer/m/${variable}`, moments.shape, moments.m);
        yield add(`optimizer/v/${variable}`, moments.shape, moments.v);
      }
    }
    const tensorsByteLength = await writeFileDurable(path.join(temporary, CHECKPOINT_FILES.tensors), chunks());
    const optimizer = checkpoint.optimizer;
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_FORMAT_VERSION,
      step,
      savedAt: new Date().toISOString(),
      tensorsByteLength,
      tensors: entries,
      optimizer: optimizer
        ? {
            type: 'adamw',
            step: optimizer.step,
            variableSteps: Object.fromEntries([...optimizer.moments].map(([n, m]) => [n, m.step])),
          }
        : null,
      rng: { ...(checkpoint.rng ?? {}) },
      metadata: checkpoint.metadata ?? null,
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFileDurable(path.join(temporary, CHECKPOINT_FILES.manifest), [Buffer.from(manifestText, 'utf8')]);
    await fsyncDirectory(temporary);
    await moveDirectoryIntoPlace(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw error;
  }
  await writeFileAtomic(path.join(dir, CHECKPOINT_FILES.latest), `${name}\n`);
  const removed: string[] = [];
  if (keepLast !== undefined) {
    const listing = await listCheckpoints(dir);
    const stale = listing.filter((c) => c.step !== step).slice(0, Math.max(0, listing.length - keepLast));
    for (const old of stale) {
      await fs.rm(old.path, { recursive: true, force: true });
      removed.push(old.path);
    }
  }
  return { path: target, step, removed };
}

/**
 * Every complete checkpoint (a `step-N` directory holding a `manifest.json`) in `dir`,
 * oldest first. An absent `dir` has none.
 */
export async function listCheckpoints(dir: string): Promise<CheckpointListing[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: CheckpointListing[] = [];
  for (const name of names) {
    const step = parseCheckpointDirectoryName(name);
    if (step !== undefined && (await exists(path.join(dir, name, CHECKPOINT_FILES.manifest)))) {
      found.push({ step, path: path.join(dir, name) });
    }
  }
  return found.sort((a, b) => a.step - b.step);
}

/**
 * The newest checkpoint's step directory in `dir`, or undefined when there is none. Follows
 * the `latest` pointer when it names a complete checkpoint, else takes the highest step.
 */
export async function findLatestCheckpoint(dir: string): Promise<string | undefined> {
  try {
    const pointed = (await fs.readFile(path.join(dir, CHECKPOINT_FILES.latest), 'utf8')).trim();
    if (parseCheckpointDirectoryName(pointed) !== undefined && (await exists(path.join(dir, pointed, CHECKPOINT_FILES.manifest)))) {
      return path.join(dir, pointed);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return (await listCheckpoints(dir)).at(-1)?.path;
}

/**
 * Reads a checkpoint: `location` is a step directory, or a checkpoint directory whose latest
 * checkpoint is read (see {@link findLatestCheckpoint}).
 *
 * @throws DPOTSError naming the path when the directory, `manifest.json` or `tensors.bin` is
 *   missing, or `location` holds no checkpoint.
 * @throws DataFormatError naming the file for a malformed manifest, an unsupported format
 *   version, or a `tensors.bin` whose size differs from the manifest's (truncated).
 */
export async function loadCheckpoint(location: string): Promise<LoadedCheckpoint> {
  let stepDir = location;
  const isStepDir =
    parseCheckpointDirectoryName(path.basename(location)) !== undefined || (await exists(path.join(location, CHECKPOINT_FILES.manifest)));
  if (!isStepDir) {
    if (!(await exists(location))) throw new DPOTSError(`checkpoint directory not found: ${location}`);
    const latest = await findLatestCheckpoint(location);
    if (latest === undefined) {
      throw new DPOTSError(`no checkpoint found in ${location} (no "latest" pointer and no step-* directory with a manifest.json)`);
    }
    stepDir = latest;
  }
  const manifestFile = path.join(stepDir, CHECKPOINT_FILES.manifest);
  const tensorsFile = path.join(stepDir, CHECKPOINT_FILES.tensors);
  const manifest = parseCheckpointManifest(await readRequired(manifestFile, 'utf8'), manifestFile);
  const bytes = await readRequired(tensorsFile);
  if (bytes.byteLength !== manifest.tensorsByteLength) {
    const what = bytes.byteLength < manifest.tensorsByteLength ? 'truncated' : 'longer than its manifest says';
    throw new DataFormatError(tensorsFile, 0, `${what}: manifest expects ${manifest.tensorsByteLength} bytes, file has ${bytes.byteLength}`);
  }
  const tensors = new Map<string, TensorData>();
  for (const entry of manifest.tensors) tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, values: readValues(bytes, entry) });
  const weights = new Map<string, TensorData>();
  for (const [name, data] of tensors) if (name.startsWith('weights/')) weights.set(name.slice('weights/'.length), data);
  let optimizer: AdamWState | undefined;
  if (manifest.optimizer !== null) {
    const moments = new Map<string, AdamWMoments>();
    for (const [name, step] of Object.entries(manifest.optimizer.variableSteps)) {
      const m = tensors.get(`optimizer/m/${name}`)!;
      const v = tensors.get(`optimizer/v/${name}`)!;
      if (m.dtype !== 'float32' || v.dtype !== 'float32' || m.shape.join() !== v.shape.join()) {
        throw new DataFormatError(manifestFile, 0, `optimizer moments of "${name}" must be float32 tensors of one shape`);
      }
      moments.set(name, { step, shape: m.shape, m: m.values as Float32Array, v: v.values as Float32Array });
    }
    optimizer = { type: 'adamw', step: manifest.optimizer.step, moments };
  }
  return { path: stepDir, step: manifest.step, weights, optimizer, rng: manifest.rng, metadata: manifest.metadata, manifest };
}

/** The values as little-endian bytes (a view when the platform is little-endian). */
function littleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((x, i) =>
    values instanceof Int32Array ? view.setInt32(i * BYTES_PER_ELEMENT, x, true) : view.setFloat32(i * BYTES_PER_ELEMENT, x, true),
  );
  return out;
}

/** A fresh typed array for one entry (copied: Buffer offsets need not be 4-aligned). */
function readValues(bytes: Buffer, entry: CheckpointTensorEntry): Float32Array | Int32Array {
  const count = entry.byteLength / BYTES_PER_ELEMENT;
  const values = entry.dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  if (LITTLE_ENDIAN) {
    bytes.copy(new Uint8Array(values.buffer), 0, entry.offset, entry.offset + entry.byteLength);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + entry.offset, entry.byteLength);
    for (let i = 0; i < count; i++) {
      values[i] = entry.dtype === 'int32' ? view.getInt32(i * 4, true) : view.getFloat32(i * 4, true);
    }
  }
  return values;
}

async function readRequired(file: string): Promise<Buffer>;
async function readRequired(file: string, encoding: 'utf8'): Promise<string>;
async function readRequired(file: string, encoding?: 'utf8'): Promise<Buffer | string> {
  try {
    return encoding ? await fs.readFile(file, encoding) : await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DPOTSError(`checkpoint file not found: ${file}`, { cause: error });
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
