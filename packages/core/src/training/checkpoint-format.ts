import { createHash } from 'node:crypto';
import { DataFormatError } from '../errors/data-format-error.js';
import type { RngState } from './rng.js';

/**
 * The on-disk checkpoint format, version 2 (version 1, without checksums, is still read).
 *
 * ```
 * <dir>/
 *   latest                 text: the name of the newest complete step directory + "\n"
 *   writer.lock            JSON { pid, host, startedAt }: the one process writing here
 *   step-000120/           one directory per checkpoint, named by completed optimiser steps
 *     manifest.json        CheckpointManifest (below), UTF-8 JSON
 *     tensors.bin          every tensor's raw values back to back, little-endian
 *                          float32 / int32, row-major, at the offsets the manifest lists
 * ```
 *
 * Version 2 adds integrity: `files["tensors.bin"].sha256` is the SHA-256 of `tensors.bin`, and
 * `manifestSha256` the SHA-256 of the manifest's own JSON without that field (see
 * {@link manifestDigest}), so a flipped bit or a hand edit in either file is detected on load.
 * The tensors lie back to back in manifest order (each offset is the previous offset plus its
 * byte length).
 *
 * Tensor names in the manifest are `weights/<variable name>`, `optimizer/m/<variable name>`
 * and `optimizer/v/<variable name>`. A directory is written under a temporary name, its files
 * fsynced, then renamed into place, and only then does `latest` change (temp file + rename):
 * a crash at any point leaves the previous checkpoint complete and pointed to.
 */
export const CHECKPOINT_FORMAT = 'dpo-ts-checkpoint';
/** The manifest `version` this code writes. */
export const CHECKPOINT_FORMAT_VERSION = 2;
/**
 * Versions this code reads: 2, and 1 (checkpoints written before checksums, loaded after the
 * structural and value checks with a warning that their content could not be verified).
 */
export const CHECKPOINT_FORMAT_VERSIONS_READ: readonly number[] = Object.freeze([1, 2]);
/** File names inside a checkpoint directory and the pointer and lock files beside them. */
export const CHECKPOINT_FILES = Object.freeze({
  /** The {@link CheckpointManifest} inside each step directory. */
  manifest: 'manifest.json',
  /** Every tensor's raw little-endian values, inside each step directory. */
  tensors: 'tensors.bin',
  /** Beside the step directories: the name of the newest complete one. */
  latest: 'latest',
  /** Beside the step directories: the writing process's {@link CheckpointLockHolder}. */
  lock: 'writer.lock',
});

/** Any JSON value: what checkpoint metadata may hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Element types a checkpoint stores: 4 bytes each, little-endian. */
export type CheckpointDType = 'float32' | 'int32';

/** A tensor's values as a plain array (no tfjs tensor: nothing to dispose). */
export interface TensorData {
  /** Element type of `values`. */
  readonly dtype: CheckpointDType;
  /** Dimensions; `values` holds their product of elements ([] for a scalar). */
  readonly shape: readonly number[];
  /** Row-major values; `Float32Array` for float32, `Int32Array` for int32. */
  readonly values: Float32Array | Int32Array;
}

/** Where one tensor lies in `tensors.bin`. */
export interface CheckpointTensorEntry {
  /** `weights/<name>`, `optimizer/m/<name>` or `optimizer/v/<name>`. */
  readonly name: string;
  /** Element type, 4 bytes little-endian either way. */
  readonly dtype: CheckpointDType;
  /** Dimensions of the tensor, checked against the model's variable on restore. */
  readonly shape: readonly number[];
  /** Byte offset in `tensors.bin`; a multiple of 4. */
  readonly offset: number;
  /** 4 * product(shape). */
  readonly byteLength: number;
}

/** The content of `manifest.json`. */
export interface CheckpointManifest {
  /** Always {@link CHECKPOINT_FORMAT}, `'dpo-ts-checkpoint'`; anything else is refused. */
  readonly format: typeof CHECKPOINT_FORMAT;
  /** 2 when written by this code; 1 for checkpoints without checksums. */
  readonly version: 1 | 2;
  /** Optimiser steps completed when the checkpoint was taken; training resumes at this step index. */
  readonly step: number;
  /** ISO 8601 time of writing (informational). */
  readonly savedAt: string;
  /** Exact size of `tensors.bin`; a shorter file is reported as truncated. */
  readonly tensorsByteLength: number;
  /** Every tensor in `tensors.bin`, in file order (weights, then AdamW's m and v). */
  readonly tensors: readonly CheckpointTensorEntry[];
  /** AdamW's scalar state; its m and v are tensors `optimizer/m/*`, `optimizer/v/*`. */
  readonly optimizer: {
    /** The optimiser kind; only `'adamw'` exists. */
    readonly type: 'adamw';
    /** {@link AdamWState.step}: calls of `applyGradients` so far. */
    readonly step: number;
    /** Each variable's own update count ({@link AdamWMoments.step}), each <= `step`, by variable name. */
    readonly variableSteps: Readonly<Record<string, number>>;
  } | null;
  /** Named generator states (`{ data: [...], dropout: [...] }`). */
  readonly rng: Readonly<Record<string, RngState>>;
  /** The caller's JSON: trainer config, loss state, data position. */
  readonly metadata: JsonValue;
  /**
   * The model's configuration as the trainer described it (architecture fields), compared on
   * resume with the resuming model's; absent when the trainer gave none.
   */
  readonly model?: JsonValue;
  /** Version 2: SHA-256 (lower-case hex) of every file beside the manifest. */
  readonly files?: {
    /** The checksum of `tensors.bin`. */
    readonly 'tensors.bin': {
      /** Lower-case hex SHA-256 of the whole file. */
      readonly sha256: string;
    };
  };
  /** Version 2: SHA-256 of this manifest without this field (see {@link manifestDigest}). */
  readonly manifestSha256?: string;
}

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The SHA-256 that a manifest's `manifestSha256` holds: of `JSON.stringify(manifest, null, 2)`
 * with `manifestSha256` left out, keys in their order. Re-serialising makes it independent of
 * whitespace, and a changed value, key or field order changes it.
 */
export function manifestDigest(manifest: object): string {
  const { manifestSha256: _, ...rest } = manifest as { manifestSha256?: unknown };
  return sha256Hex(JSON.stringify(rest, null, 2));
}

const STEP_DIRECTORY = /^step-(\d+)$/;
const TENSOR_NAME = /^(weights|optimizer\/m|optimizer\/v)\/./;

/** `123` -> `"step-000123"` (six digits, more when the step needs them). */
export function checkpointDirectoryName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** `"step-000123"` -> 123; anything else -> undefined. */
export function parseCheckpointDirectoryName(name: string): number | undefined {
  const match = STEP_DIRECTORY.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Bytes of one element of a {@link CheckpointDType}. */
export const BYTES_PER_ELEMENT = 4;

/**
 * Parses and validates `manifest.json` text. Every problem is a {@link DataFormatError} naming
 * `file`: bad JSON, another format, a version this code does not read, a malformed field, a
 * tensor outside `tensorsByteLength`, optimiser moments without their tensors.
 */
export function parseCheckpointManifest(text: string, file: string): CheckpointManifest {
  const fail = (reason: string): never => {
    throw new DataFormatError(file, 0, reason);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(raw)) return fail('must be a JSON object');
  if (raw.format !== CHECKPOINT_FORMAT)
    return fail(`field "format" must be "${CHECKPOINT_FORMAT}": got ${JSON.stringify(raw.format)}`);
  if (!CHECKPOINT_FORMAT_VERSIONS_READ.includes(raw.version as number)) {
    return fail(
      `checkpoint format version ${JSON.stringify(raw.version)} is not supported: this dpo-ts reads versions ${CHECKPOINT_FORMAT_VERSIONS_READ.join(' and ')}`,
    );
  }
  if (raw.version !== 1) {
    const sha = (value: unknown): boolean => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
    if (!sha(raw.manifestSha256))
      return fail(`field "manifestSha256" must be a SHA-256 in hex: got ${JSON.stringify(raw.manifestSha256)}`);
    const digest = manifestDigest(raw);
    if (digest !== raw.manifestSha256) {
      return fail(
        `checksum mismatch: the manifest's SHA-256 is ${digest}, its field "manifestSha256" says ${raw.manifestSha256} (edited or corrupted)`,
      );
    }
    const files = raw.files;
    if (
      !isRecord(files) ||
      !isRecord(files[CHECKPOINT_FILES.tensors]) ||
      !sha((files[CHECKPOINT_FILES.tensors] as Record<string, unknown>).sha256)
    ) {
      return fail(`field "files" must be { "${CHECKPOINT_FILES.tensors}": { "sha256": <64 hex digits> } }`);
    }
  }
  const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (!isCount(raw.step)) return fail(`field "step" must be an integer >= 0: got ${JSON.stringify(raw.step)}`);
  if (!isCount(raw.tensorsByteLength)) return fail('field "tensorsByteLength" must be an integer >= 0');
  const total = raw.tensorsByteLength;
  if (!Array.isArray(raw.tensors)) return fail('field "tensors" must be an array');
  const names = new Set<string>();
  let expectedOffset = 0;
  for (const [i, entry] of (raw.tensors as unknown[]).entries()) {
    const where = `tensors[${i}]`;
    if (!isRecord(entry) || typeof entry.name !== 'string') return fail(`${where}.name must be a string`);
    if (names.has(entry.name)) return fail(`${where}: duplicate tensor name "${entry.name}"`);
    names.add(entry.name);
    if (entry.dtype !== 'float32' && entry.dtype !== 'int32') {
      return fail(`${where} ("${entry.name}"): dtype must be "float32" or "int32": got ${JSON.stringify(entry.dtype)}`);
    }
    if (!Array.isArray(entry.shape) || !entry.shape.every(isCount))
      return fail(`${where} ("${entry.name}"): shape must be an array of integers >= 0`);
    const size = (entry.shape as number[]).reduce((a, b) => a * b, 1);
    if (entry.byteLength !== size * BYTES_PER_ELEMENT)
      return fail(`${where} ("${entry.name}"): byteLength must be ${size * BYTES_PER_ELEMENT}`);
    if (!TENSOR_NAME.test(entry.name))
      return fail(
        `${where}.name must start with "weights/", "optimizer/m/" or "optimizer/v/": got ${JSON.stringify(entry.name)}`,
      );
    if (entry.offset !== expectedOffset) {
      return fail(
        `${where} ("${entry.name}"): offset must be ${expectedOffset} (tensors lie back to back in manifest order): got ${JSON.stringify(entry.offset)}`,
      );
    }
    expectedOffset += size * BYTES_PER_ELEMENT;
    if (expectedOffset > total)
      return fail(`${where} ("${entry.name}"): ends at byte ${expectedOffset}, beyond tensorsByteLength ${total}`);
  }
  if (expectedOffset !== total)
    return fail(
      `field "tensorsByteLength" must be ${expectedOffset}, the sum of the tensors' byte lengths: got ${total}`,
    );
  const shapes = new Map((raw.tensors as CheckpointTensorEntry[]).map((entry) => [entry.name, entry.shape.join()]));
  const optimizer = raw.optimizer;
  if (optimizer !== null) {
    if (
      !isRecord(optimizer) ||
      optimizer.type !== 'adamw' ||
      !isCount(optimizer.step) ||
      !isRecord(optimizer.variableSteps)
    ) {
      return fail('field "optimizer" must be null or { type: "adamw", step, variableSteps }');
    }
    for (const [name, step] of Object.entries(optimizer.variableSteps)) {
      if (!isCount(step) || step > optimizer.step) {
        return fail(
          `optimizer.variableSteps["${name}"] must be an integer >= 0 and <= optimizer.step ${optimizer.step}: got ${JSON.stringify(step)}`,
        );
      }
      for (const moment of ['m', 'v']) {
        const tensor = `optimizer/${moment}/${name}`;
        if (!names.has(tensor)) return fail(`optimizer state of "${name}" lacks tensor "${tensor}"`);
        const weight = shapes.get(`weights/${name}`);
        if (weight !== undefined && shapes.get(tensor) !== weight) {
          return fail(
            `tensor "${tensor}" must have the shape of "weights/${name}" [${weight}]: got [${shapes.get(tensor)}]`,
          );
        }
      }
    }
  }
  for (const name of names) {
    const variable = /^optimizer\/[mv]\/(.*)$/.exec(name)?.[1];
    if (variable !== undefined && (optimizer === null || !Object.hasOwn(optimizer.variableSteps as object, variable))) {
      return fail(`tensor "${name}" belongs to no entry of optimizer.variableSteps`);
    }
  }
  if (!isRecord(raw.rng)) return fail('field "rng" must be an object of named generator states');
  for (const [name, state] of Object.entries(raw.rng)) {
    const ok = Array.isArray(state) && state.length === 4 && state.every((w) => isCount(w) && w <= 0xffffffff);
    if (!ok) return fail(`rng["${name}"] must be four unsigned 32-bit integers`);
  }
  if (typeof raw.savedAt !== 'string') return fail('field "savedAt" must be a string');
  if (!('metadata' in raw)) return fail('field "metadata" is missing');
  return raw as unknown as CheckpointManifest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
