import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { JsonValue } from '../training/checkpoint-format.js';
import { formatJsonFile, saveNamedWeights } from './named-weights.js';

/** `trainer.json`'s `format` field: a model directory written by a trainer's `save(dir)`. */
export const SAVED_MODEL_FORMAT = 'dpo-ts.saved-model';
/** `trainer.json`'s `version` field; bumped on incompatible changes. */
export const SAVED_MODEL_VERSION = 1;
/** The file of a saved model directory that says which trainer wrote it. */
export const SAVED_MODEL_FILE = 'trainer.json';

/**
 * `trainer.json` of a directory written by a trainer's `save(dir)`: which trainer (`kind`:
 * `'sft'`, `'dpo'`, `'diffusion-dpo'`, ...) of which modality (`'lm'`, `'diffusion'`,
 * `'reward'`) wrote it, with the trainer's resolved config (plain JSON) and the steps trained.
 * The rest of the directory is the modality's model files (`config.json`, `manifest.json`,
 * `weights.bin`, a tokenizer or a schedule).
 */
export interface SavedModelManifest {
  /** Marks the directory as a dpo-ts saved model: always {@link SAVED_MODEL_FORMAT} (`'dpo-ts.saved-model'`). */
  readonly format: typeof SAVED_MODEL_FORMAT;
  /** Layout version of the directory, {@link SAVED_MODEL_VERSION}; a reader refuses any other. */
  readonly version: typeof SAVED_MODEL_VERSION;
  /** The trainer that wrote it, as in checkpoints' `trainer` field. */
  readonly kind: string;
  /** The model package whose `XTrainer.load(dir)` reads it. */
  readonly modality: string;
  /** The trainer's resolved config, as JSON (functions and `undefined` fields dropped). */
  readonly trainerConfig: JsonValue;
  /** Optimiser steps the trainer had completed when it saved. */
  readonly step: number;
}

/** What {@link saveTrainedModel} writes. */
export interface SaveTrainedModelOptions {
  /** The trainer (`'dpo'`, `'sft'`, ...). */
  readonly kind: string;
  /** The model package (`'lm'`, `'diffusion'`, `'reward'`). */
  readonly modality: string;
  /** The trainer's resolved config; stored as JSON. */
  readonly trainerConfig: unknown;
  /** Optimiser steps completed. @defaultValue 0 */
  readonly step?: number;
  /** Every weight of the model by stable name (`model.namedVariables()`). */
  readonly weights: ReadonlyMap<string, tf.Tensor>;
  /** The modality's other files, name to content: `config.json`, `tokenizer.json`, ... */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
}

/** `value` as plain JSON: what `JSON.stringify` keeps (no functions, no `undefined`). */
function toJsonValue(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/**
 * Writes a trained model as one directory, atomically (core's `writeDirectoryAtomic` through
 * `saveNamedWeights`): the files go to a temporary sibling directory that is renamed onto `dir`
 * once complete, so a save that fails or is killed leaves the previous model in `dir` intact.
 * The directory holds `manifest.json` + `weights.bin` (core's named-weights format), the
 * modality's `files` and `trainer.json` ({@link SavedModelManifest}). Creates no lasting tensors.
 *
 * The shared half of every trainer's `save(dir)`; the model packages add their files.
 * @throws InvalidArgumentError naming `kind`, `modality` or `step` when one is malformed.
 */
export async function saveTrainedModel(dir: string, options: SaveTrainedModelOptions): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir', 'a non-empty path', dir);
  for (const field of ['kind', 'modality'] as const) {
    if (typeof options[field] !== 'string' || !/^[a-z][a-z0-9-]*$/.test(options[field]))
      throw new InvalidArgumentError(`options.${field}`, 'a kebab-case name', options[field]);
  }
  const step = options.step ?? 0;
  if (!Number.isInteger(step) || step < 0) throw new InvalidArgumentError('options.step', 'an integer >= 0', step);
  const manifest: SavedModelManifest = {
    format: SAVED_MODEL_FORMAT,
    version: SAVED_MODEL_VERSION,
    kind: options.kind,
    modality: options.modality,
    trainerConfig: toJsonValue(options.trainerConfig),
    step,
  };
  if (options.files !== undefined && SAVED_MODEL_FILE in options.files)
    throw new InvalidArgumentError('options.files', `no file named ${SAVED_MODEL_FILE} (it is the manifest)`, 'one');
  await saveNamedWeights(dir, options.weights, { ...options.files, [SAVED_MODEL_FILE]: formatJsonFile(manifest) });
}

/** What {@link readSavedModelManifest} checks. */
export interface SavedModelExpectation {
  /** The modality the caller reads (`'lm'`); another is refused, naming both. */
  readonly modality?: string;
}

/**
 * Reads and checks `trainer.json` of a directory written by {@link saveTrainedModel}.
 * @throws InvalidArgumentError naming `dir` when it holds no `trainer.json` (not a saved model)
 *   or one of another modality than `expected.modality`.
 * @throws DataFormatError naming the file when it is not valid JSON, of another format or
 *   version, or has a malformed field.
 */
export async function readSavedModelManifest(
  dir: string,
  expected: SavedModelExpectation = {},
): Promise<SavedModelManifest> {
  const file = join(dir, SAVED_MODEL_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new InvalidArgumentError(
        'dir',
        `a directory written by a trainer's save(dir) (with ${SAVED_MODEL_FILE})`,
        dir,
        `no ${file}`,
      );
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(file, 0, `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const manifest = value as Partial<SavedModelManifest> | null;
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest))
    throw new DataFormatError(file, 0, 'must hold a JSON object');
  if (manifest.format !== SAVED_MODEL_FORMAT)
    throw new DataFormatError(
      file,
      0,
      `format must be "${SAVED_MODEL_FORMAT}": got ${JSON.stringify(manifest.format)}`,
    );
  if (manifest.version !== SAVED_MODEL_VERSION)
    throw new DataFormatError(
      file,
      0,
      `version must be ${SAVED_MODEL_VERSION}: got ${JSON.stringify(manifest.version)}`,
    );
  for (const field of ['kind', 'modality'] as const) {
    if (typeof manifest[field] !== 'string')
      throw new DataFormatError(file, 0, `${field} must be a string: got ${JSON.stringify(manifest[field])}`);
  }
  if (!Number.isInteger(manifest.step) || (manifest.step as number) < 0)
    throw new DataFormatError(file, 0, `step must be an integer >= 0: got ${JSON.stringify(manifest.step)}`);
  if (expected.modality !== undefined && manifest.modality !== expected.modality) {
    throw new InvalidArgumentError(
      'dir',
      `a saved ${expected.modality} model`,
      dir,
      `${file} says a ${manifest.modality} model written by the ${manifest.kind} trainer`,
    );
  }
  return manifest as SavedModelManifest;
}
