import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataFormatError, InvalidArgumentError, ShapeMismatchError } from '@dpo-ts/core';
import type { Denoiser, DenoiserKind } from './denoiser.js';
import { MLPDenoiser, type MLPDenoiserConfig } from './mlp-denoiser.js';
import { UNet, type UNetConfig } from './unet.js';

/** `config.json`'s `format` field. */
export const DENOISER_FORMAT = 'dpo-ts.denoiser';
/** `config.json`'s `version` field; bumped on incompatible changes. */
export const DENOISER_FORMAT_VERSION = 1;

/** One entry of `manifest.json`: where a weight lives in `weights.bin`. */
export interface WeightEntry {
  /** Stable name from `namedVariables()`. */
  readonly name: string;
  readonly shape: readonly number[];
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
    if (destination.shape.join() !== variable.shape.join()) throw new ShapeMismatchError(name, variable.shape, destination.shape);
    destination.assign(variable);
  }
}

/**
 * Saves a denoiser as a directory:
 * - `config.json`: `{ format: "dpo-ts.denoiser", version: 1, kind, config }`;
 * - `manifest.json`: `{ byteLength, weights: WeightEntry[] }` in `namedVariables()` order;
 * - `weights.bin`: the float32 values, little-endian, concatenated in manifest order.
 *
 * Atomic: everything is written into a temporary sibling directory which is then renamed onto
 * `directory` (an existing one is moved aside first and removed after), so a crash leaves
 * either the old checkpoint or the new one, never a mix.
 */
export async function saveDenoiser(denoiser: Denoiser, directory: string): Promise<void> {
  const target = resolve(directory);
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = join(dirname(target), `.${basename(target)}.tmp-${suffix}`);
  const weights: WeightEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, variable] of denoiser.namedVariables()) {
    const values = (await variable.data()) as Float32Array;
    weights.push({ name, shape: variable.shape.slice(), dtype: 'float32', offset, length: values.length });
    chunks.push(toLittleEndian(values));
    offset += values.length * 4;
  }
  const header = { format: DENOISER_FORMAT, version: DENOISER_FORMAT_VERSION, kind: denoiser.kind, config: denoiser.config };
  try {
    await mkdir(temporary, { recursive: true });
    await writeFile(join(temporary, 'config.json'), `${JSON.stringify(header, null, 2)}\n`);
    await writeFile(join(temporary, 'manifest.json'), `${JSON.stringify({ byteLength: offset, weights }, null, 2)}\n`);
    await writeFile(join(temporary, 'weights.bin'), Buffer.concat(chunks));
    const exists = await stat(target).then(() => true, () => false);
    if (exists) {
      const aside = join(dirname(target), `.${basename(target)}.old-${suffix}`);
      await rename(target, aside);
      await rename(temporary, target);
      await rm(aside, { recursive: true, force: true });
    } else {
      await rename(temporary, target);
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Loads a directory written by {@link saveDenoiser}: rebuilds the architecture from
 * `config.json` and assigns every weight, checking names, shapes and sizes.
 * @throws DataFormatError naming the file when anything does not match.
 * @returns a new denoiser; the caller disposes it.
 */
export async function loadDenoiser(directory: string): Promise<Denoiser> {
  const configPath = join(directory, 'config.json');
  const manifestPath = join(directory, 'manifest.json');
  const weightsPath = join(directory, 'weights.bin');
  const header = await readJson(configPath);
  if (header.format !== DENOISER_FORMAT) throw new DataFormatError(configPath, 0, `format must be "${DENOISER_FORMAT}": got ${JSON.stringify(header.format)}`);
  if (header.version !== DENOISER_FORMAT_VERSION) throw new DataFormatError(configPath, 0, `version must be ${DENOISER_FORMAT_VERSION}: got ${JSON.stringify(header.version)}`);
  const manifest = await readJson(manifestPath);
  const bytes = await readFile(weightsPath);
  if (!Array.isArray(manifest.weights) || manifest.byteLength !== bytes.length) {
    throw new DataFormatError(manifestPath, 0, `byteLength ${String(manifest.byteLength)} does not match weights.bin (${bytes.length} bytes)`);
  }
  let denoiser: Denoiser;
  try {
    denoiser = createDenoiser(header.kind as DenoiserKind, header.config as Partial<UNetConfig>);
  } catch (error) {
    throw new DataFormatError(configPath, 0, `cannot build the model: ${(error as Error).message}`, { cause: error });
  }
  try {
    const variables = denoiser.namedVariables();
    const entries = manifest.weights as WeightEntry[];
    const seen = new Set<string>();
    for (const entry of entries) {
      const variable = variables.get(entry.name);
      if (!variable) throw new DataFormatError(manifestPath, 0, `unknown weight "${entry.name}" for a ${denoiser.kind}`);
      if (entry.shape.join() !== variable.shape.join() || entry.length !== variable.size || entry.offset + entry.length * 4 > bytes.length) {
        throw new DataFormatError(manifestPath, 0, `weight "${entry.name}" has shape [${entry.shape.join(', ')}], the model expects [${variable.shape.join(', ')}]`);
      }
      const values = fromLittleEndian(bytes, entry.offset, entry.length);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      seen.add(entry.name);
    }
    const missing = [...variables.keys()].filter((name) => !seen.has(name));
    if (missing.length > 0) throw new DataFormatError(manifestPath, 0, `missing weights: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  } catch (error) {
    denoiser.dispose();
    throw error;
  }
  return denoiser;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new DataFormatError(path, 0, `invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function toLittleEndian(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

function fromLittleEndian(bytes: Uint8Array, offset: number, length: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * 4);
  return Float32Array.from({ length }, (_, i) => view.getFloat32(i * 4, true));
}
