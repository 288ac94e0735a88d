import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataFormatError, writeDirectoryAtomic } from '@dpo-ts/core';
import type { NamedVariables } from '@dpo-ts/core';
import { WEIGHTS_FORMAT, loadGPT, type WeightsManifest, type WeightsManifestEntry } from '@dpo-ts/lm';
import { SequenceRewardModel } from './sequence-reward-model.js';

/** Identifies the `reward-head.json` of a saved {@link SequenceRewardModel}. */
export const REWARD_MODEL_FORMAT = 'dpo-ts.sequence-reward-model';

/**
 * `reward-head.json`: lm's weights manifest for the head's weights in `reward-head.bin`, plus
 * a format marker.
 */
export interface RewardHeadManifest extends WeightsManifest {
  readonly model: typeof REWARD_MODEL_FORMAT;
}

/**
 * Saves a reward model to folder `dir`, atomically (core's `writeDirectoryAtomic`):
 *
 * - `config.json`, `manifest.json`, `weights.bin`: the backbone, exactly as lm's `saveGPT`
 *   writes it, so `loadGPT(dir)` reads the backbone alone (to start a PPO value model or
 *   policy from it, as TRL starts its value model from the reward model);
 * - `reward-head.json` + `reward-head.bin`: the head (`score.kernel`), same manifest format
 *   with `model: "dpo-ts.sequence-reward-model"`.
 *
 * Reads the weights asynchronously; creates no lasting tensors.
 */
export async function saveRewardModel(model: SequenceRewardModel, dir: string): Promise<void> {
  if (endianness() !== 'LE') throw new Error('dpo-ts weight files are little-endian; big-endian hosts are not supported');
  const backbone = await serialise(model.backbone.namedVariables());
  const head = await serialise(model.head.namedVariables());
  const headManifest: RewardHeadManifest = { ...head.manifest, model: REWARD_MODEL_FORMAT };
  await writeDirectoryAtomic(dir, {
    'config.json': `${JSON.stringify(model.backbone.config, null, 2)}\n`,
    'manifest.json': `${JSON.stringify(backbone.manifest, null, 2)}\n`,
    'weights.bin': backbone.data,
    'reward-head.json': `${JSON.stringify(headManifest, null, 2)}\n`,
    'reward-head.bin': head.data,
  });
}

/**
 * Loads a folder written by {@link saveRewardModel}. The caller owns (and disposes) the model.
 * @throws DataFormatError naming the file for a missing or malformed head, or a size mismatch.
 */
export async function loadRewardModel(dir: string): Promise<SequenceRewardModel> {
  const backbone = await loadGPT(dir);
  const model = new SequenceRewardModel(backbone);
  try {
    const manifestPath = join(dir, 'reward-head.json');
    const dataPath = join(dir, 'reward-head.bin');
    let manifest: RewardHeadManifest;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RewardHeadManifest;
    } catch (error) {
      throw new DataFormatError(manifestPath, 0, `cannot be read as JSON: ${(error as Error).message}`, { cause: error });
    }
    if (manifest?.model !== REWARD_MODEL_FORMAT || manifest.format !== WEIGHTS_FORMAT || !Array.isArray(manifest.weights)) {
      throw new DataFormatError(manifestPath, 0, `must have model "${REWARD_MODEL_FORMAT}", format "${WEIGHTS_FORMAT}" and a weights array`);
    }
    const bytes = await readFile(dataPath);
    if (bytes.byteLength !== manifest.byteLength) {
      throw new DataFormatError(dataPath, 0, `has ${bytes.byteLength} bytes, reward-head.json says ${manifest.byteLength}`);
    }
    // Copy into an aligned buffer: a Node Buffer may start at any byte offset of its pool.
    const values = new Float32Array(new Uint8Array(bytes).buffer);
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const entry of manifest.weights) {
        const size = entry.shape.reduce((a: number, b: number) => a * b, 1);
        if (entry.byteLength !== size * 4 || entry.offset + entry.byteLength > bytes.byteLength) {
          throw new DataFormatError(manifestPath, 0, `entry "${entry.name}" does not fit reward-head.bin`);
        }
        tensors.set(entry.name, tf.tensor(values.subarray(entry.offset / 4, entry.offset / 4 + size), [...entry.shape], 'float32'));
      }
      model.head.assignWeights(tensors);
    } finally {
      tf.dispose([...tensors.values()]);
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** lm's manifest and bytes for named variables: float32, little-endian, in map order. */
async function serialise(variables: NamedVariables): Promise<{ manifest: WeightsManifest; data: Uint8Array }> {
  const weights: WeightsManifestEntry[] = [];
  let offset = 0;
  for (const [name, variable] of variables) {
    weights.push({ name, shape: variable.shape.slice(), offset, byteLength: variable.size * 4 });
    offset += variable.size * 4;
  }
  const data = new Float32Array(offset / 4);
  let index = 0;
  for (const variable of variables.values()) {
    data.set((await variable.data()) as Float32Array, index);
    index += variable.size;
  }
  const manifest: WeightsManifest = { format: WEIGHTS_FORMAT, version: 1, dtype: 'float32', byteOrder: 'little-endian', byteLength: offset, weights };
  return { manifest, data: new Uint8Array(data.buffer) };
}
