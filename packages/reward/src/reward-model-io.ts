import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import {
  assignNamedWeights,
  encodeNamedWeights,
  formatJsonFile,
  loadNamedWeights,
  saveNamedWeights,
} from '@dpo-ts/core/io';
import { loadGPT, type WeightsManifest } from '@dpo-ts/lm';
import { SequenceRewardModel } from './sequence-reward-model.js';

/** Identifies the `reward-head.json` of a saved {@link SequenceRewardModel}. */
export const REWARD_MODEL_FORMAT = 'dpo-ts.sequence-reward-model';

/** The head's weight files: core's named-weights format under other names. */
export const HEAD_FILES = Object.freeze({ manifest: 'reward-head.json', weights: 'reward-head.bin' });

/**
 * `reward-head.json`: lm's weights manifest for the head's weights in `reward-head.bin`, plus
 * a format marker.
 */
export interface RewardHeadManifest extends WeightsManifest {
  /** Always {@link REWARD_MODEL_FORMAT}, `'dpo-ts.sequence-reward-model'`; checked on load. */
  readonly model: typeof REWARD_MODEL_FORMAT;
}

/**
 * Saves a reward model to folder `dir`, atomically (core's `saveNamedWeights`):
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
  const head = await encodeNamedWeights(model.head.namedVariables());
  const headManifest: RewardHeadManifest = { ...head.manifest, model: REWARD_MODEL_FORMAT };
  await saveNamedWeights(dir, model.backbone.namedVariables(), {
    'config.json': formatJsonFile(model.backbone.config),
    [HEAD_FILES.manifest]: formatJsonFile(headManifest),
    [HEAD_FILES.weights]: head.data,
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
    const { manifest, weights } = await loadNamedWeights(dir, HEAD_FILES);
    if (manifest.model !== REWARD_MODEL_FORMAT) {
      throw new DataFormatError(
        join(dir, HEAD_FILES.manifest),
        0,
        `must have model "${REWARD_MODEL_FORMAT}": got ${JSON.stringify(manifest.model)}`,
      );
    }
    assignNamedWeights(weights, (tensors) => model.head.assignWeights(tensors));
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}
