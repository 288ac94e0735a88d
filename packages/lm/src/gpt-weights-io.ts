import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import {
  assignNamedWeights,
  formatJsonFile,
  loadNamedWeights,
  NAMED_WEIGHTS_FORMAT,
  readJsonFile,
  saveNamedWeights,
  type NamedWeightsManifest,
  type NamedWeightsManifestEntry,
} from '@dpo-ts/core/io';
import type { GPTConfig } from './gpt-config.js';
import { GPT } from './gpt-model.js';

/** Identifies {@link WeightsManifest} files: core's `NAMED_WEIGHTS_FORMAT`. */
export const WEIGHTS_FORMAT = NAMED_WEIGHTS_FORMAT;

/** One weight's entry in a {@link WeightsManifest} (core's `NamedWeightsManifestEntry`). */
export type WeightsManifestEntry = NamedWeightsManifestEntry;

/**
 * `manifest.json` of a saved model (core's `NamedWeightsManifest`). The folder holds three files:
 * - `config.json`: the resolved {@link GPTConfig};
 * - `manifest.json`: this object, `{ format: "dpo-ts.named-weights", version: 1,
 *   dtype: "float32", byteOrder: "little-endian", byteLength, weights: [...] }`;
 * - `weights.bin`: every weight's float32 values, little-endian, row-major, concatenated in
 *   manifest order with no gaps (`offset` of entry i+1 = offset + byteLength of entry i).
 */
export type WeightsManifest = NamedWeightsManifest;

/**
 * Saves a model to folder `dir` (created if needed, replaced atomically if it exists):
 * `config.json`, `manifest.json` and `weights.bin` as described by {@link WeightsManifest}
 * (core's `saveNamedWeights`). Creates no lasting tensors.
 */
export async function saveGPT(model: GPT, dir: string): Promise<void> {
  await saveNamedWeights(dir, model.namedVariables(), { 'config.json': formatJsonFile(model.config) });
}

/** A new {@link GPT} from a folder written by {@link saveGPT}. The caller disposes it. */
export async function loadGPT(dir: string): Promise<GPT> {
  const configPath = join(dir, 'config.json');
  const config = (await readJsonFile(configPath)) as unknown as GPTConfig;
  let model: GPT;
  try {
    model = new GPT(config);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new DataFormatError(configPath, 0, error.message, { cause: error });
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
  const { weights } = await loadNamedWeights(dir);
  assignNamedWeights(weights, (tensors) => model.assignWeights(tensors));
}
