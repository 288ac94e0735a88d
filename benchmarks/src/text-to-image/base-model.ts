import { fileURLToPath } from 'node:url';
import { DPOTSError } from '@dpo-ts/core';
import { loadCheckpoint, restoreWeights } from '@dpo-ts/core/training';
import {
  CaptionEncoder,
  CaptionTokenizer,
  EMOJI_AUTOENCODER_CHECKPOINT,
  LatentTextDenoiser,
  loadLatentAutoencoder,
  textToImageVariables,
  type EmojiSplit,
  type ScaledAutoencoder,
  type TextToImageModel,
} from '@dpo-ts/diffusion';

/**
 * The committed text-to-image base the comparison starts from: the resumable base run's newest
 * training checkpoint (`packages/diffusion/checkpoints/emoji-t2i-run`; its README gives the step,
 * 10,250 of 20,000 when last committed).
 * When the run finishes and its saved model replaces the folder, {@link loadTextToImageBase}'s
 * body becomes `loadTextToImageModel(directory)`: the one line to change.
 */
export const TEXT_TO_IMAGE_BASE_CHECKPOINT: string = fileURLToPath(
  new URL('../../../packages/diffusion/checkpoints/emoji-t2i-run', import.meta.url),
);

/** The base model, its autoencoder and where both came from. */
export interface TextToImageBase {
  readonly model: TextToImageModel;
  readonly autoencoder: ScaledAutoencoder;
  /** Optimiser steps of the base run (the checkpoint's step). */
  readonly step: number;
  /** The checkpoint directory read. */
  readonly source: string;
}

/**
 * Loads the text-to-image base: the caption tokenizer rebuilt from the training captions exactly
 * as `scripts/train-emoji-text-to-image.ts` built it (`CaptionTokenizer.fromCaptions` of the
 * canonical split's training captions), the caption encoder and FiLM latent denoiser with that
 * script's configs (default widths, seeds 0 and 1), their weights from the training checkpoint,
 * and the committed emoji autoencoder.
 * @param split - the canonical emoji split (`splitEmojiDataset(..., { heldOutFraction: 0.1, seed: 0 })`).
 * @returns new networks; the caller disposes `model.encoder`, `model.denoiser` and `autoencoder.autoencoder`.
 * @throws DPOTSError naming the directory when the checkpoint does not match the architecture.
 */
export async function loadTextToImageBase(
  split: EmojiSplit,
  directory: string = TEXT_TO_IMAGE_BASE_CHECKPOINT,
): Promise<TextToImageBase> {
  const autoencoder = await loadLatentAutoencoder(EMOJI_AUTOENCODER_CHECKPOINT);
  const checkpoint = await loadCheckpoint(directory);
  const tokenizer = CaptionTokenizer.fromCaptions(split.train.entries.map((entry) => entry.caption));
  const encoder = new CaptionEncoder({ vocabSize: tokenizer.vocabSize, seed: 0 });
  const denoiser = new LatentTextDenoiser({
    latentShape: autoencoder.autoencoder.latentShape,
    textDim: encoder.config.dim,
    seed: 1,
  });
  try {
    restoreWeights(textToImageVariables({ encoder, denoiser }), checkpoint.weights, { source: checkpoint.path });
  } catch (error) {
    encoder.dispose();
    denoiser.dispose();
    autoencoder.autoencoder.dispose();
    throw new DPOTSError(`${directory}: not the text-to-image base: ${(error as Error).message}`, { cause: error });
  }
  return { model: { tokenizer, encoder, denoiser }, autoencoder, step: checkpoint.step, source: checkpoint.path };
}
