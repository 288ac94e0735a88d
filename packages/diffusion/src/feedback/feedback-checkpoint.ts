import { join } from 'node:path';
import { DataFormatError, type Checkpointable } from '@dpo-ts/core';
import { restoreWeights } from '@dpo-ts/core/training';
import { formatJsonFile, loadNamedWeights, readJsonFile, saveNamedWeights } from '@dpo-ts/core/io';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { EmojiCLIP, type EmojiCLIPConfig } from './emoji-clip.js';
import { StyleClassifier, type StyleClassifierConfig } from './style-classifier.js';

/** `config.json`'s `format` of a saved {@link EmojiCLIP}. */
export const EMOJI_CLIP_FORMAT = 'dpo-ts.emoji-clip';
/** `config.json`'s `format` of a saved {@link StyleClassifier}. */
export const STYLE_CLASSIFIER_FORMAT = 'dpo-ts.style-classifier';
const VERSION = 1;

/** A CLIP with the tokenizer its text tower reads. */
export interface TokenizedCLIP {
  /** The CLIP model; the caller disposes it. */
  readonly clip: EmojiCLIP;
  /** The word tokenizer of the CLIP's text tower. */
  readonly tokenizer: CaptionTokenizer;
}

/**
 * Saves a CLIP and its tokenizer with core's `saveNamedWeights` (atomic): `config.json`
 * (`{ format: "dpo-ts.emoji-clip", version: 1, tokenizer, config, metadata }`), `manifest.json`, `weights.bin`.
 */
export async function saveEmojiCLIP(
  directory: string,
  model: TokenizedCLIP,
  metadata: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const header = {
    format: EMOJI_CLIP_FORMAT,
    version: VERSION,
    tokenizer: model.tokenizer.toJSON(),
    config: model.clip.config,
    metadata,
  };
  await saveNamedWeights(directory, model.clip.namedVariables(), { 'config.json': formatJsonFile(header) });
}

/**
 * Loads {@link saveEmojiCLIP}'s directory, checking format and every weight.
 * @throws DataFormatError naming the file. @returns a new model; the caller disposes `clip`.
 */
export async function loadEmojiCLIP(directory: string): Promise<
  TokenizedCLIP & {
    /** What was recorded with the weights when saved (e.g. held-out results, the data half); `{}` when none. */
    readonly metadata: Readonly<Record<string, unknown>>;
  }
> {
  const { header, configPath } = await readHeader(directory, EMOJI_CLIP_FORMAT);
  const tokenizer = CaptionTokenizer.fromJSON(header.tokenizer, configPath);
  const clip = await build(directory, configPath, () => new EmojiCLIP(header.config as EmojiCLIPConfig));
  return { clip, tokenizer, metadata: (header.metadata ?? {}) as Record<string, unknown> };
}

/** Saves a style classifier: `config.json` (`{ format: "dpo-ts.style-classifier", version: 1, config, metadata }`) and weights. */
export async function saveStyleClassifier(
  directory: string,
  classifier: StyleClassifier,
  metadata: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const header = { format: STYLE_CLASSIFIER_FORMAT, version: VERSION, config: classifier.config, metadata };
  await saveNamedWeights(directory, classifier.namedVariables(), { 'config.json': formatJsonFile(header) });
}

/** Loads {@link saveStyleClassifier}'s directory. @throws DataFormatError naming the file. */
export async function loadStyleClassifier(directory: string): Promise<{
  /** The classifier with the saved weights; the caller disposes it. */
  readonly classifier: StyleClassifier;
  /** What was recorded with the weights when saved (e.g. held-out results, the data half); `{}` when none. */
  readonly metadata: Readonly<Record<string, unknown>>;
}> {
  const { header, configPath } = await readHeader(directory, STYLE_CLASSIFIER_FORMAT);
  const classifier = await build(
    directory,
    configPath,
    () => new StyleClassifier(header.config as StyleClassifierConfig),
  );
  return { classifier, metadata: (header.metadata ?? {}) as Record<string, unknown> };
}

async function readHeader(
  directory: string,
  format: string,
): Promise<{ header: Record<string, unknown>; configPath: string }> {
  const configPath = join(directory, 'config.json');
  const header = await readJsonFile(configPath);
  if (header.format !== format || header.version !== VERSION) {
    throw new DataFormatError(
      configPath,
      0,
      `must be format "${format}" version ${VERSION}: got ${JSON.stringify(header.format)} version ${JSON.stringify(header.version)}`,
    );
  }
  return { header, configPath };
}

async function build<T extends Checkpointable & { dispose(): void }>(
  directory: string,
  configPath: string,
  create: () => T,
): Promise<T> {
  const { weights } = await loadNamedWeights(directory);
  let model: T;
  try {
    model = create();
  } catch (error) {
    throw new DataFormatError(configPath, 0, `cannot build the model: ${(error as Error).message}`, { cause: error });
  }
  try {
    restoreWeights(model.namedVariables(), weights, { source: directory });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
