import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { endianness } from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import type { AdamWState } from './adamw-optimizer.js';
import { fsyncDirectory, temporaryName, writeFileDurable } from '../io/atomic-file.js';
import {
  BYTES_PER_ELEMENT,
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  checkpointDirectoryName,
  manifestDigest,
  parseCheckpointDirectoryName,
  type CheckpointManifest,
  type CheckpointTensorEntry,
  type JsonValue,
} from './checkpoint-format.js';
import { listCheckpoints, loadLatestCheckpoint } from './checkpoint-directory.js';
import { readCheckpointDirectory, type LoadedCheckpoint } from './checkpoint-read.js';
import { assertFiniteValues } from './non-finite-guard.js';
import type { RngState } from './rng.js';

export {
  findLatestCheckpoint,
  listCheckpoints,
  loadLatestCheckpoint,
  type CheckpointListing,
} from './checkpoint-directory.js';
export type { LoadedCheckpoint } from './checkpoint-read.js';

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
  /** The model's configuration (architecture fields), recorded as the manifest's `model` and checked on resume. */
  readonly model?: JsonValue;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /**
   * Keep only the newest `keepLast` step directories (by step), deleting older ones after the
   * new checkpoint is complete and `latest` points to it.
   * @defaultValue undefined (keep all)
   */
  readonly keepLast?: number;
  /**
   * Called at each stage of the write once that stage is durable, and awaited: after
   * `tensors.bin` of the temporary directory (`'tensors-written'`), after its manifest
   * (`'directory-written'`), after an existing same-step directory was renamed aside
   * (`'moved-aside'`), after the new directory took its name (`'moved-into-place'`), after the
   * temporary `latest` (`'latest-temporary-written'`) and its rename (`'latest-written'`), and
   * after each old checkpoint renamed away by `keepLast` (`'pruning'`). The crash tests kill
   * the process at each point; recovery on the next open (`recoverCheckpointDirectory`) then
   * finishes or rolls back what was interrupted.
   * @defaultValue undefined
   */
  readonly onSavePoint?: (point: CheckpointSavePoint) => void | Promise<void>;
}

/** The stages of {@link saveCheckpoint}, in order; see {@link SaveCheckpointOptions.onSavePoint}. */
export const CHECKPOINT_SAVE_POINTS = Object.freeze([
  'tensors-written',
  'directory-written',
  'moved-aside',
  'moved-into-place',
  'latest-temporary-written',
  'latest-written',
  'pruning',
] as const);
/** One of {@link CHECKPOINT_SAVE_POINTS}. */
export type CheckpointSavePoint = (typeof CHECKPOINT_SAVE_POINTS)[number];

/** Where {@link saveCheckpoint} wrote, and what it pruned. */
export interface SavedCheckpoint {
  /** The step directory, `<dir>/step-000120`. */
  readonly path: string;
  /** Optimiser steps completed, as recorded in the manifest. */
  readonly step: number;
  /** Step directories deleted by `keepLast`. */
  readonly removed: readonly string[];
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Writes a checkpoint to `<dir>/step-<step, 6 digits>/` in the documented format (see
 * `checkpoint-format.ts`), atomically: the files go into a temporary directory in `dir`, are
 * fsynced, and the directory is renamed into place; then the `latest` pointer is replaced by
 * rename; then, with `keepLast`, older step directories are renamed away and deleted. Tensor
 * values are read with `await tensor.data()`, one tensor at a time, hashed (SHA-256) and
 * streamed to disk; the manifest records the hash and its own.
 *
 * Non-finite values are never written: a float32 weight or moment holding NaN or Infinity, or
 * a negative second moment, throws `NonFiniteError` naming the tensor and the step, and the
 * temporary directory is removed, leaving the previous checkpoint and `latest` untouched.
 *
 * An existing directory for the same step is replaced: it is renamed aside
 * (`.old-step-N-...`) first, so a complete directory exists under one of the two names at every
 * moment. A crash at any point leaves what `recoverCheckpointDirectory` repairs on the next open.
 *
 * @param checkpoint.step - optimiser steps completed (the loop passes its completed count).
 */
export async function saveCheckpoint(
  dir: string,
  checkpoint: CheckpointContent & { readonly step: number },
  options: SaveCheckpointOptions = {},
): Promise<SavedCheckpoint> {
  const step = requireInteger('checkpoint.step', checkpoint.step, { min: 0 });
  const keepLast =
    options.keepLast === undefined ? undefined : requireInteger('keepLast', options.keepLast, { min: 1 });
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir', 'a non-empty path', dir);
  for (const [name, tensor] of checkpoint.weights) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') {
      throw new InvalidArgumentError(`checkpoint.weights.get("${name}").dtype`, '"float32" or "int32"', tensor.dtype);
    }
  }
  const reached = async (point: CheckpointSavePoint): Promise<void> => {
    await options.onSavePoint?.(point);
  };
  await fs.mkdir(dir, { recursive: true });
  const name = checkpointDirectoryName(step);
  const target = path.join(dir, name);
  const temporary = path.join(dir, temporaryName(name));
  await fs.mkdir(temporary);
  try {
    const entries: CheckpointTensorEntry[] = [];
    const hash = createHash('sha256');
    let offset = 0;
    const refusal = `refusing to save checkpoint ${target}`;
    const add = (entryName: string, shape: readonly number[], values: Float32Array | Int32Array): Uint8Array => {
      const dtype = values instanceof Int32Array ? 'int32' : 'float32';
      if (dtype === 'float32')
        assertFiniteValues(`tensor "${entryName}"`, values, step, refusal, entryName.startsWith('optimizer/v/'));
      entries.push({ name: entryName, dtype, shape: shape.slice(), offset, byteLength: values.byteLength });
      offset += values.byteLength;
      const bytes = littleEndianBytes(values);
      hash.update(bytes);
      return bytes;
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
    await reached('tensors-written');
    const optimizer = checkpoint.optimizer;
    const manifest: Omit<CheckpointManifest, 'manifestSha256'> = {
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
      // Through JSON first, so the digest covers exactly what a reader parses (NaN -> null).
      metadata: JSON.parse(JSON.stringify(checkpoint.metadata ?? null)) as JsonValue,
      ...(checkpoint.model !== undefined ? { model: JSON.parse(JSON.stringify(checkpoint.model)) as JsonValue } : {}),
      files: { [CHECKPOINT_FILES.tensors]: { sha256: hash.digest('hex') } },
    };
    const manifestText = `${JSON.stringify({ ...manifest, manifestSha256: manifestDigest(manifest) }, null, 2)}\n`;
    await writeFileDurable(path.join(temporary, CHECKPOINT_FILES.manifest), [Buffer.from(manifestText, 'utf8')]);
    await fsyncDirectory(temporary);
    await reached('directory-written');
    await moveIntoPlace(temporary, target, reached);
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw error;
  }
  await reached('moved-into-place');
  const latestTemporary = path.join(dir, temporaryName(CHECKPOINT_FILES.latest));
  await writeFileDurable(latestTemporary, [Buffer.from(`${name}\n`, 'utf8')]);
  await reached('latest-temporary-written');
  await fs.rename(latestTemporary, path.join(dir, CHECKPOINT_FILES.latest));
  await fsyncDirectory(dir);
  await reached('latest-written');
  const removed: string[] = [];
  if (keepLast !== undefined) {
    const listing = await listCheckpoints(dir);
    const stale = listing.filter((c) => c.step !== step).slice(0, Math.max(0, listing.length - keepLast));
    for (const old of stale) {
      // Renamed away first: a crash mid-delete leaves a `.pruned-*` leftover, never a half checkpoint.
      const doomed = path.join(dir, temporaryName(`pruned-${path.basename(old.path)}`));
      await fs.rename(old.path, doomed);
      await reached('pruning');
      await fs.rm(doomed, { recursive: true, force: true });
      removed.push(old.path);
    }
  }
  return { path: target, step, removed };
}

/** Renames `source` to `target`; an existing `target` is renamed aside first and removed after. */
async function moveIntoPlace(
  source: string,
  target: string,
  reached: (point: CheckpointSavePoint) => Promise<void>,
): Promise<void> {
  const directory = path.dirname(target);
  let aside: string | undefined;
  try {
    await fs.rename(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
    aside = path.join(directory, temporaryName(`old-${path.basename(target)}`));
    await fs.rename(target, aside);
    await fsyncDirectory(directory);
    await reached('moved-aside');
    await fs.rename(source, target);
  }
  await fsyncDirectory(directory);
  if (aside !== undefined) await fs.rm(aside, { recursive: true, force: true });
}

/**
 * Reads and verifies a checkpoint: `location` is a step directory (read as it is), or a
 * checkpoint directory, whose newest valid checkpoint is read, falling back past corrupt ones
 * with {@link LoadedCheckpoint.warnings} (see `loadLatestCheckpoint`).
 *
 * Verified before anything is returned: the manifest's structure and SHA-256, `tensors.bin`'s
 * size and SHA-256, tensor offsets back to back, optimiser moments matching their weights'
 * shapes and steps, every float32 value finite and every second moment >= 0. A format-1
 * checkpoint (no checksums) loads with a warning.
 *
 * @throws DPOTSError naming the path when the directory, `manifest.json` or `tensors.bin` is
 *   missing, or `location` holds no (usable) checkpoint.
 * @throws DataFormatError naming the file for a malformed or edited manifest, an unsupported
 *   format version, or a `tensors.bin` that is truncated, longer, or fails its checksum.
 * @throws NonFiniteError naming the tensor and the checkpoint for NaN/Inf values or a negative v.
 */
export async function loadCheckpoint(location: string): Promise<LoadedCheckpoint> {
  if (typeof location !== 'string' || location.length === 0)
    throw new InvalidArgumentError('location', 'a non-empty path', location);
  const isStepDir =
    parseCheckpointDirectoryName(path.basename(location)) !== undefined ||
    (await exists(path.join(location, CHECKPOINT_FILES.manifest)));
  if (isStepDir) return readCheckpointDirectory(location);
  if (!(await exists(location))) throw new DPOTSError(`checkpoint directory not found: ${location}`);
  const loaded = await loadLatestCheckpoint(location);
  if (loaded === undefined) {
    throw new DPOTSError(
      `no checkpoint found in ${location} (no "latest" pointer and no step-* directory with a manifest.json)`,
    );
  }
  return loaded;
}

/** The values as little-endian bytes (a view when the platform is little-endian). */
function littleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => {
    values instanceof Int32Array
      ? view.setInt32(i * BYTES_PER_ELEMENT, x, true)
      : view.setFloat32(i * BYTES_PER_ELEMENT, x, true);
  });
  return out;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
