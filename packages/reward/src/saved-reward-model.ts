import { join } from 'node:path';
import {
  encodeNamedWeights,
  formatJsonFile,
  readSavedModelManifest,
  saveTrainedModel,
  type SavedModelManifest,
} from '@dpo-ts/core/io';
import { loadTokenizer, type Tokenizer } from '@dpo-ts/lm';
import { HEAD_FILES, loadRewardModel, REWARD_MODEL_FORMAT, type RewardHeadManifest } from './reward-model-io.js';
import type { SequenceRewardModel } from './sequence-reward-model.js';

/** The modality name `trainer.json` records for reward models. */
export const REWARD_MODEL_MODALITY = 'reward';

/** A reward model read back by `RewardTrainer.load(dir)`. */
export interface SavedRewardModel {
  /** The reward model (backbone + head); the caller disposes it. */
  readonly model: SequenceRewardModel;
  /** The tokenizer read from `tokenizer.json` (the one the model was trained with). */
  readonly tokenizer: Tokenizer;
  /** `trainer.json`: which trainer wrote it, its config and step. */
  readonly manifest: SavedModelManifest;
}

/** What {@link saveTrainedRewardModel} writes. */
export interface SaveTrainedRewardModelOptions {
  /** The reward model to save (GPT backbone and scalar head); not disposed. */
  readonly model: SequenceRewardModel;
  /** The tokenizer, written as `tokenizer.json`. */
  readonly tokenizer: Tokenizer;
  /** The trainer's resolved config, written to `trainer.json` as JSON (functions and `undefined` dropped). */
  readonly trainerConfig: unknown;
  /** Optimiser steps completed when saved, recorded in `trainer.json`. */
  readonly step: number;
}

/**
 * Saves a trained reward model as a directory, atomically (core's `saveTrainedModel`): the
 * `saveRewardModel` layout (backbone as lm's `saveGPT` writes it, head in `reward-head.json` +
 * `reward-head.bin`), `tokenizer.json` and `trainer.json`. A failed save leaves the previous
 * directory intact. Creates no lasting tensors.
 */
export async function saveTrainedRewardModel(dir: string, options: SaveTrainedRewardModelOptions): Promise<void> {
  const { model } = options;
  const head = await encodeNamedWeights(model.head.namedVariables());
  const headManifest: RewardHeadManifest = { ...head.manifest, model: REWARD_MODEL_FORMAT };
  await saveTrainedModel(dir, {
    kind: 'reward',
    modality: REWARD_MODEL_MODALITY,
    trainerConfig: options.trainerConfig,
    step: options.step,
    weights: model.backbone.namedVariables(),
    files: {
      'config.json': formatJsonFile(model.backbone.config),
      'tokenizer.json': `${JSON.stringify(options.tokenizer.toJSON())}\n`,
      [HEAD_FILES.manifest]: formatJsonFile(headManifest),
      [HEAD_FILES.weights]: head.data,
    },
  });
}

/**
 * Reads a directory written by `RewardTrainer.save(dir)`: the reward model, its tokenizer and
 * the manifest (`loadRewardModel(dir)` reads the model alone, `loadGPT(dir)` the backbone).
 * @throws InvalidArgumentError naming `dir` when it is not a saved model or of another modality.
 * @throws DataFormatError naming the file for a malformed part.
 */
export async function loadTrainedRewardModel(dir: string): Promise<SavedRewardModel> {
  const manifest = await readSavedModelManifest(dir, { modality: REWARD_MODEL_MODALITY });
  const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
  const model = await loadRewardModel(dir);
  return { model, tokenizer, manifest };
}
