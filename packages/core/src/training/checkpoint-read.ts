import { promises as fs } from 'node:fs';
import { endianness } from 'node:os';
import * as path from 'node:path';
import { DataFormatError } from '../errors/data-format-error.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import type { AdamWMoments, AdamWState } from './adamw-optimizer.js';
import {
  BYTES_PER_ELEMENT,
  CHECKPOINT_FILES,
  parseCheckpointManifest,
  sha256Hex,
  type CheckpointManifest,
  type CheckpointTensorEntry,
  type JsonValue,
  type TensorData,
} from './checkpoint-format.js';
import { assertFiniteValues } from './non-finite-guard.js';
import type { RngState } from './rng.js';

/** A checkpoint read back by `loadCheckpoint`: plain arrays, no tensors to dispose. */
export interface LoadedCheckpoint {
  /** The step directory it was read from. */
  readonly path: string;
  /** Optimiser steps completed; a resumed loop runs step index `step` next. */
  readonly step: number;
  /** Weights by name; assign them with `restoreWeights`. */
  readonly weights: ReadonlyMap<string, TensorData>;
  /** For `optimizer.loadState`; undefined when none was saved. */
  readonly optimizer: AdamWState | undefined;
  /** Named generator states, for `Rng.fromState` (`{ data: [...], dropout: [...] }`). */
  readonly rng: Readonly<Record<string, RngState>>;
  /** The JSON the trainer saved with the checkpoint: its config, loss state, data position. */
  readonly metadata: JsonValue;
  /** The parsed, verified `manifest.json`. */
  readonly manifest: CheckpointManifest;
  /**
   * What the caller should be told: a format-1 checkpoint loaded without checksums, newer
   * checkpoints skipped because they were corrupt. The training loop reports each through
   * its progress reporter or `onWarning`; the library never prints them itself.
   */
  readonly warnings: readonly string[];
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Reads and verifies one step directory: the manifest (structure, and for format 2 its own
 * SHA-256), `tensors.bin` (size, then SHA-256 against the manifest), then the values (every
 * float32 weight and moment finite, every second moment v >= 0). Nothing is returned unless
 * everything holds.
 *
 * @throws DPOTSError naming the file when `manifest.json` or `tensors.bin` is missing.
 * @throws DataFormatError naming the file for a malformed or edited manifest, a truncated,
 *   longer or corrupted `tensors.bin`.
 * @throws NonFiniteError naming the tensor and the checkpoint for NaN/Inf values or a negative v.
 */
export async function readCheckpointDirectory(stepDir: string): Promise<LoadedCheckpoint> {
  const manifestFile = path.join(stepDir, CHECKPOINT_FILES.manifest);
  const tensorsFile = path.join(stepDir, CHECKPOINT_FILES.tensors);
  const manifest = parseCheckpointManifest(await readRequired(manifestFile, 'utf8'), manifestFile);
  const bytes = await readRequired(tensorsFile);
  if (bytes.byteLength !== manifest.tensorsByteLength) {
    const what = bytes.byteLength < manifest.tensorsByteLength ? 'truncated' : 'longer than its manifest says';
    throw new DataFormatError(
      tensorsFile,
      0,
      `${what}: manifest expects ${manifest.tensorsByteLength} bytes, file has ${bytes.byteLength}`,
    );
  }
  const warnings: string[] = [];
  if (manifest.files === undefined) {
    warnings.push(
      `checkpoint ${stepDir} is format version 1, without checksums: its content could not be verified (structure and values were checked)`,
    );
  } else {
    const digest = sha256Hex(bytes);
    if (digest !== manifest.files[CHECKPOINT_FILES.tensors].sha256) {
      throw new DataFormatError(
        tensorsFile,
        0,
        `checksum mismatch: SHA-256 is ${digest}, the manifest says ${manifest.files[CHECKPOINT_FILES.tensors].sha256} (corrupted)`,
      );
    }
  }
  const tensors = new Map<string, TensorData>();
  for (const entry of manifest.tensors) {
    const data: TensorData = { dtype: entry.dtype, shape: entry.shape, values: readValues(bytes, entry) };
    if (data.dtype === 'float32') {
      const isSecondMoment = entry.name.startsWith('optimizer/v/');
      assertFiniteValues(
        `tensor "${entry.name}"`,
        data.values,
        manifest.step,
        `in checkpoint ${stepDir}`,
        isSecondMoment,
      );
    }
    tensors.set(entry.name, data);
  }
  const weights = new Map<string, TensorData>();
  for (const [name, data] of tensors) if (name.startsWith('weights/')) weights.set(name.slice('weights/'.length), data);
  let optimizer: AdamWState | undefined;
  if (manifest.optimizer !== null) {
    const moments = new Map<string, AdamWMoments>();
    for (const [name, step] of Object.entries(manifest.optimizer.variableSteps)) {
      const m = tensors.get(`optimizer/m/${name}`)!;
      const v = tensors.get(`optimizer/v/${name}`)!;
      if (m.dtype !== 'float32' || v.dtype !== 'float32' || m.shape.join() !== v.shape.join()) {
        throw new DataFormatError(
          manifestFile,
          0,
          `optimizer moments of "${name}" must be float32 tensors of one shape`,
        );
      }
      moments.set(name, { step, shape: m.shape, m: m.values as Float32Array, v: v.values as Float32Array });
    }
    optimizer = { type: 'adamw', step: manifest.optimizer.step, moments };
  }
  return {
    path: stepDir,
    step: manifest.step,
    weights,
    optimizer,
    rng: manifest.rng,
    metadata: manifest.metadata,
    manifest,
    warnings,
  };
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
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DPOTSError(`checkpoint file not found: ${file}`, { cause: error });
    if (code === 'EISDIR')
      throw new DPOTSError(`checkpoint file ${file} must be a file: got a directory`, { cause: error });
    throw error;
  }
}
