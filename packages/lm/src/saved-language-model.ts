import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { formatJsonFile, readSavedModelManifest, saveTrainedModel, type SavedModelManifest } from '@dpo-ts/core/io';
import type { CausalLanguageModel } from './causal-lm.js';
import { GPT } from './gpt-model.js';
import { loadGPT } from './gpt-weights-io.js';
import type { Tokenizer } from './tokenizer.js';
import { loadTokenizer } from './tokenizer-io.js';

/** The modality name `trainer.json` records for language models. */
export const LANGUAGE_MODEL_MODALITY = 'lm';

/** A language model read back by `SFTTrainer.load(dir)` / `DPOTrainer.load(dir)`. */
export interface SavedLanguageModel {
  /** The GPT, ready to sample or to start the next stage; the caller disposes it. */
  readonly model: GPT;
  /** The tokenizer read from `tokenizer.json` (the one the model trained with). */
  readonly tokenizer: Tokenizer;
  /** `trainer.json`: which trainer wrote it, its config and step. */
  readonly manifest: SavedModelManifest;
}

/** What {@link saveLanguageModel} writes. */
export interface SaveLanguageModelOptions {
  /** The trainer (`'sft'`, `'dpo'`). */
  readonly kind: string;
  /** The model to save; must be a `GPT` (rebuilt from its config on load). Not disposed. */
  readonly model: CausalLanguageModel;
  /** The trainer's tokenizer; saving needs its `toJSON()` (every dpo-ts {@link Tokenizer} has one). */
  readonly tokenizer: object;
  /** The trainer's resolved config, written to `trainer.json` as JSON (functions and `undefined` dropped). */
  readonly trainerConfig: unknown;
  /** Optimiser steps completed when saved, recorded in `trainer.json`. */
  readonly step: number;
  /**
   * More files to write in the same atomic save, name to content (e.g. rlhf's PPO value head:
   * `value-head.json`, `value-head.bin`). Names of the model's own files are refused.
   * @defaultValue none
   */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
}

/** The files {@link saveLanguageModel} writes itself besides core's (`manifest.json`, `weights.bin`, `trainer.json`). */
const LANGUAGE_MODEL_FILES = ['config.json', 'tokenizer.json', 'manifest.json', 'weights.bin'];

/**
 * Saves a trained GPT as a directory, atomically (core's `saveTrainedModel`): `config.json`,
 * `manifest.json` and `weights.bin` (the `saveGPT` layout, so `loadGPT(dir)` reads it too),
 * `tokenizer.json` (the `saveTokenizer` layout) and `trainer.json`. A failed save leaves the
 * previous directory intact. `options.files` are written alongside. Creates no lasting tensors.
 * @throws InvalidArgumentError naming `model` when it is not a GPT (only a GPT can be rebuilt
 *   from its config), `tokenizer` when it has no `toJSON()`, or `options.files` when it names one
 *   of the model's own files.
 */
export async function saveLanguageModel(dir: string, options: SaveLanguageModelOptions): Promise<void> {
  const { model } = options;
  const tokenizer = options.tokenizer as Partial<Pick<Tokenizer, 'toJSON'>>;
  if (!(model instanceof GPT))
    throw new InvalidArgumentError(
      'model',
      'a GPT to save (rebuilt from its config on load)',
      model?.constructor?.name,
    );
  if (typeof tokenizer.toJSON !== 'function')
    throw new InvalidArgumentError(
      'tokenizer',
      'a tokenizer with toJSON() (CharTokenizer, ByteBPETokenizer) to save',
      tokenizer,
    );
  const clash = Object.keys(options.files ?? {}).find((name) => LANGUAGE_MODEL_FILES.includes(name));
  if (clash !== undefined)
    throw new InvalidArgumentError('options.files', `no file named ${LANGUAGE_MODEL_FILES.join(', ')}`, clash);
  await saveTrainedModel(dir, {
    kind: options.kind,
    modality: LANGUAGE_MODEL_MODALITY,
    trainerConfig: options.trainerConfig,
    step: options.step,
    weights: model.namedVariables(),
    files: {
      ...options.files,
      'config.json': formatJsonFile(model.config),
      'tokenizer.json': `${JSON.stringify(tokenizer.toJSON())}\n`,
    },
  });
}

/**
 * Reads a directory written by an lm trainer's `save(dir)`: the GPT, its tokenizer and the
 * manifest. Any lm trainer's directory works (an SFT model is the start of DPO).
 * @throws InvalidArgumentError naming `dir` when it is not a saved model or of another modality.
 * @throws DataFormatError naming the file for a malformed part or a vocabulary mismatch.
 */
export async function loadLanguageModel(dir: string): Promise<SavedLanguageModel> {
  const manifest = await readSavedModelManifest(dir, { modality: LANGUAGE_MODEL_MODALITY });
  const tokenizerPath = join(dir, 'tokenizer.json');
  const tokenizer = await loadTokenizer(tokenizerPath);
  const model = await loadGPT(dir);
  if (model.vocabSize !== tokenizer.vocabSize) {
    model.dispose();
    throw new DataFormatError(
      join(dir, 'config.json'),
      0,
      `vocabSize ${model.vocabSize} differs from the tokenizer's ${tokenizer.vocabSize} (${tokenizerPath})`,
    );
  }
  return { model, tokenizer, manifest };
}
