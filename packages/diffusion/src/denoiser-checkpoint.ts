import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError, ShapeMismatchError } from '@dpo-ts/core';
import { formatJsonFile, loadNamedWeights, readJsonFile, saveNamedWeights } from '@dpo-ts/core/io';
import type { Denoiser, DenoiserKind } from './denoiser.js';
import { MLPDenoiser, type MLPDenoiserConfig } from './mlp-denoiser.js';
import { UNet, type UNetConfig } from './unet.js';

/** `config.json`'s `format` field. */
export const DENOISER_FORMAT = 'dpo-ts.denoiser';
/** `config.json`'s `version` field; bumped on incompatible changes. */
export const DENOISER_FORMAT_VERSION = 1;

/**
 * One entry of `manifest.json` in the earlier denoiser layout, `{ byteLength, weights:
 * WeightEntry[] }` (the committed MNIST checkpoint is stored so): where a weight lives in
 * `weights.bin`. `loadDenoiser` (core's `loadNamedWeights`) still reads it; `saveDenoiser` now
 * writes core's `NamedWeightsManifest`.
 */
export interface WeightEntry {
  /** Stable name from `namedVariables()`. */
  readonly name: string;
  /** The variable's dimensions. */
  readonly shape: readonly number[];
  /** Element type; only float32 was ever written. */
  readonly dtype: 'float32';
  /** Byte offset in `weights.bin`. */
  readonly offset: number;
  /** Number of float32 values. */
  readonly length: number;
}

/** Builds a fresh denoiser of `kind` from its configuration (weights from `config.seed`). */
export function createDenoiser(kind: DenoiserKind, config: Partial<MLPDenoiserConfig> | Partial<UNetConfig>): Denoiser {
  if (kind === 'mlp') return new MLPDenoiser(config as Partial<MLPDenoiserConfig>);
  if (kind === 'unet') return new UNet(config as Partial<UNetConfig>);
  throw new InvalidArgumentError('kind', '"mlp" or "unet"', kind);
}

/**
 * A new denoiser with the same architecture and a copy of the weights (the frozen reference
 * of DPO, or the "old policy" of PPO). Dispose it separately.
 */
export function cloneDenoiser(denoiser: Denoiser): Denoiser {
  const copy = createDenoiser(denoiser.kind, denoiser.config);
  copyWeights(denoiser, copy);
  return copy;
}

/** Assigns every weight of `source` to the same-named weight of `target` (same architecture). */
export function copyWeights(source: Denoiser, target: Denoiser): void {
  const targets = target.namedVariables();
  for (const [name, variable] of source.namedVariables()) {
    const destination = targets.get(name);
    if (!destination) throw new InvalidArgumentError('target', `a denoiser with a weight named "${name}"`, target.kind);
    if (destination.shape.join() !== variable.shape.join())
      throw new ShapeMismatchError(name, variable.shape, destination.shape);
    destination.assign(variable);
  }
}

/**
 * Saves a denoiser as a directory (core's `saveNamedWeights`):
 * - `config.json`: `{ format: "dpo-ts.denoiser", version: 1, kind, config }`;
 * - `manifest.json`: core's `NamedWeightsManifest` (`format: "dpo-ts.named-weights"`, every
 *   weight's name, shape, offset and byteLength) in `namedVariables()` order;
 * - `weights.bin`: the float32 values, little-endian, concatenated in manifest order.
 *
 * Atomic (core's `writeDirectoryAtomic`): the files are written into a temporary sibling
 * directory which is then renamed onto `directory` (an existing one is moved aside first and
 * removed after), so a crash leaves either the old checkpoint or the new one, never a mix.
 */
export async function saveDenoiser(denoiser: Denoiser, directory: string): Promise<void> {
  const header = {
    format: DENOISER_FORMAT,
    version: DENOISER_FORMAT_VERSION,
    kind: denoiser.kind,
    config: denoiser.config,
  };
  await saveNamedWeights(directory, denoiser.namedVariables(), { 'config.json': formatJsonFile(header) });
}

/**
 * Loads a directory written by {@link saveDenoiser}, or in the earlier layout whose
 * `manifest.json` lists {@link WeightEntry}s (the committed MNIST checkpoint): rebuilds the
 * architecture from `config.json` and assigns every weight, checking names, shapes and sizes.
 * @throws DataFormatError naming the file when anything does not match.
 * @returns a new denoiser; the caller disposes it.
 */
export async function loadDenoiser(directory: string): Promise<Denoiser> {
  const configPath = join(directory, 'config.json');
  const manifestPath = join(directory, 'manifest.json');
  const header = await readJsonFile(configPath);
  if (header.format !== DENOISER_FORMAT)
    throw new DataFormatError(
      configPath,
      0,
      `format must be "${DENOISER_FORMAT}": got ${JSON.stringify(header.format)}`,
    );
  if (header.version !== DENOISER_FORMAT_VERSION)
    throw new DataFormatError(
      configPath,
      0,
      `version must be ${DENOISER_FORMAT_VERSION}: got ${JSON.stringify(header.version)}`,
    );
  const { weights } = await loadNamedWeights(directory);
  let denoiser: Denoiser;
  try {
    denoiser = createDenoiser(header.kind as DenoiserKind, header.config as Partial<UNetConfig>);
  } catch (error) {
    throw new DataFormatError(configPath, 0, `cannot build the model: ${(error as Error).message}`, { cause: error });
  }
  try {
    const variables = denoiser.namedVariables();
    for (const [name, data] of weights) {
      const variable = variables.get(name);
      if (!variable) throw new DataFormatError(manifestPath, 0, `unknown weight "${name}" for a ${denoiser.kind}`);
      if (data.shape.join() !== variable.shape.join()) {
        throw new DataFormatError(
          manifestPath,
          0,
          `weight "${name}" has shape [${data.shape.join(', ')}], the model expects [${variable.shape.join(', ')}]`,
        );
      }
      tf.tidy(() => variable.assign(tf.tensor(data.values, variable.shape, 'float32')));
    }
    const missing = [...variables.keys()].filter((name) => !weights.has(name));
    if (missing.length > 0)
      throw new DataFormatError(
        manifestPath,
        0,
        `missing weights: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      );
  } catch (error) {
    denoiser.dispose();
    throw error;
  }
  return denoiser;
}
