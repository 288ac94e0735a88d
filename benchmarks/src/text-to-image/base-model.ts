import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@dpo-ts/core';
import {
  EMOJI_AUTOENCODER_CHECKPOINT,
  loadTextToImageSnapshot,
  requireTrainedOnEmojiSplit,
  type EmojiSplit,
  type TextToImageSnapshot,
} from '@dpo-ts/diffusion';

/**
 * The finished text-to-image base: the base run's saved model (`saveTextToImageModel`, the
 * `--out` of `scripts/train-emoji-text-to-image.ts`, stored as float16, with its `training.json`,
 * run log and model card; its step is in `training.json`), preferred when present.
 */
export const TEXT_TO_IMAGE_BASE_MODEL: string = fileURLToPath(
  new URL('../../../packages/diffusion/checkpoints/emoji-t2i', import.meta.url),
);

/**
 * The resumable base run's checkpoints (`packages/diffusion/checkpoints/emoji-t2i-run`; its
 * README gives the step): the base while the run is unfinished.
 */
export const TEXT_TO_IMAGE_BASE_CHECKPOINT: string = fileURLToPath(
  new URL('../../../packages/diffusion/checkpoints/emoji-t2i-run', import.meta.url),
);

/** The base model, its autoencoder and where both came from (`kind`, `step`, `source`). */
export type TextToImageBase = TextToImageSnapshot;

/**
 * The environment variable that points the benchmark at another base without moving files: the
 * directory of a saved text-to-image model (`saveTextToImageModel`'s `config.json`, or
 * `saveTextToImageTrainedModel`'s `trainer.json`), e.g. the interim `--out` of a base run.
 */
export const TEXT_TO_IMAGE_BASE_ENV = 'DPO_TS_T2I_BASE';

/**
 * Where the base is read from: the directory named by {@link TEXT_TO_IMAGE_BASE_ENV} when set
 * (resolved to an absolute path), else the finished saved model when it exists (its
 * `config.json`), else the run checkpoint.
 * @param environment - where the variable is read. @defaultValue `process.env`
 * @throws InvalidArgumentError naming the variable when it names no saved text-to-image model.
 */
export function textToImageBaseDirectory(
  savedModel: string = TEXT_TO_IMAGE_BASE_MODEL,
  runCheckpoint: string = TEXT_TO_IMAGE_BASE_CHECKPOINT,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const override = environment[TEXT_TO_IMAGE_BASE_ENV]?.trim();
  if (override !== undefined && override !== '') {
    const directory = resolve(override);
    if (!['config.json', 'trainer.json'].some((file) => existsSync(join(directory, file))))
      throw new InvalidArgumentError(
        TEXT_TO_IMAGE_BASE_ENV,
        'the directory of a saved text-to-image model (with config.json or trainer.json)',
        override,
        existsSync(directory) ? 'it holds neither file' : 'no such directory',
      );
    return directory;
  }
  return existsSync(join(savedModel, 'config.json')) ? savedModel : runCheckpoint;
}

/**
 * What identifies the base's weights, for the cell payloads (and so the result store's keys): the
 * SHA-256 of the saved model's `weights.bin`, or the run checkpoint's `latest` step directory.
 * A cell stored against another base is not reused.
 */
export function textToImageBaseId(directory: string = textToImageBaseDirectory()): string {
  const weights = join(directory, 'weights.bin');
  if (existsSync(weights))
    return `saved-model:${createHash('sha256').update(readFileSync(weights)).digest('hex').slice(0, 16)}`;
  return `run-checkpoint:${readFileSync(join(directory, 'latest'), 'utf8').trim()}`;
}

/**
 * Loads the text-to-image base with diffusion's `loadTextToImageSnapshot`: the directory named by
 * {@link TEXT_TO_IMAGE_BASE_ENV} when set, else the finished saved model at
 * {@link TEXT_TO_IMAGE_BASE_MODEL} when present (tokenizer, caption encoder and denoiser
 * as saved, step from its `training.json`), else the run's newest training checkpoint (networks
 * rebuilt as the training script builds them, tokenizer from the canonical split's training
 * captions); the committed emoji autoencoder either way.
 * @param split - the canonical emoji split (`splitEmojiDataset(..., { heldOutFraction: 0.1, seed: 0 })`, the default hash `'mixed'`, which the committed base was trained on).
 * @returns new networks; the caller disposes `model.encoder`, `model.denoiser` and `autoencoder.autoencoder`.
 * @throws DPOTSError naming the directory when the checkpoint does not match the architecture;
 * InvalidArgumentError when the base or the autoencoder records another split than `split`'s
 * (`requireTrainedOnEmojiSplit`).
 */
export async function loadTextToImageBase(
  split: EmojiSplit,
  directory: string = textToImageBaseDirectory(),
): Promise<TextToImageBase> {
  // A base or autoencoder trained on another split has seen held-out emoji.
  await requireTrainedOnEmojiSplit(directory, split.options, 'the text-to-image base');
  await requireTrainedOnEmojiSplit(EMOJI_AUTOENCODER_CHECKPOINT, split.options, 'the emoji autoencoder');
  return loadTextToImageSnapshot(directory, {
    trainCaptions: split.train.entries.map((entry) => entry.caption),
    autoencoder: EMOJI_AUTOENCODER_CHECKPOINT,
  });
}
