import { join } from 'node:path';
import {
  encodeNamedWeights,
  formatJsonFile,
  readSavedModelManifest,
  saveTrainedModel,
  type SavedModelManifest,
} from '@dpo-ts/core/io';
import type { NoiseSchedule } from '../noise-schedule.js';
import { loadNoiseScheduleFile } from '../saved-diffusion-model.js';
import { latentAutoencoderHeader, loadLatentAutoencoder, type ScaledAutoencoder } from './autoencoder-checkpoint.js';
import {
  loadTextToImageModel,
  textToImageHeader,
  textToImageVariables,
  type TextToImageModel,
} from './text-to-image-checkpoint.js';

/** The modality name `trainer.json` records for text-to-image models. */
export const TEXT_TO_IMAGE_MODALITY = 'text-to-image';

/** The autoencoder's files inside a saved text-to-image model (its own format under other names). */
export const TEXT_TO_IMAGE_AUTOENCODER_FILES = Object.freeze({
  /** The autoencoder's header (its config and scaling factor), UTF-8 JSON. */
  config: 'autoencoder.json',
  /** Core's named-weights manifest of the autoencoder's weights, UTF-8 JSON. */
  manifest: 'autoencoder-manifest.json',
  /** The autoencoder's float32 weights, little-endian, in manifest order. */
  weights: 'autoencoder.bin',
});

/** A complete text-to-image model read back by {@link loadTextToImageTrainedModel}. */
export interface SavedTextToImageModel extends TextToImageModel {
  /** The latent autoencoder and its scaling factor (decode `latents / scalingFactor`). */
  readonly autoencoder: ScaledAutoencoder;
  /** The noise schedule the denoiser was trained with. */
  readonly schedule: NoiseSchedule;
  /** `trainer.json`: which trainer wrote it, its config and step. */
  readonly manifest: SavedModelManifest;
}

/** What {@link saveTextToImageTrainedModel} writes. */
export interface SaveTextToImageTrainedModelOptions {
  /** The trainer (`'latent-diffusion-dpo'`, `'text-to-image'`, ...): kebab-case. */
  readonly kind: string;
  /** The caption tokenizer, caption encoder and latent denoiser. */
  readonly model: TextToImageModel;
  /** The autoencoder whose latents the denoiser models. */
  readonly autoencoder: ScaledAutoencoder;
  /** The noise schedule of the denoiser. */
  readonly schedule: NoiseSchedule;
  /** The trainer's resolved config, stored as JSON. @defaultValue `{}` */
  readonly trainerConfig?: unknown;
  /** Optimiser steps completed. @defaultValue 0 */
  readonly step?: number;
}

/**
 * Saves a whole text-to-image model as one directory, atomically (core's `saveTrainedModel`), so
 * that `dpo-ts sample --model DIR --caption "red apple"` can draw from it: the
 * `saveTextToImageModel` layout (`config.json`, `manifest.json`, `weights.bin`: tokenizer,
 * caption encoder, denoiser; `loadTextToImageModel(dir)` reads it too), the autoencoder
 * ({@link TEXT_TO_IMAGE_AUTOENCODER_FILES}), `schedule.json` and `trainer.json`. A failed save
 * leaves a previous directory intact. Creates no lasting tensors.
 * @throws InvalidArgumentError naming `kind`, `step` or `model.scalingFactor` when malformed.
 */
export async function saveTextToImageTrainedModel(
  dir: string,
  options: SaveTextToImageTrainedModelOptions,
): Promise<void> {
  const autoencoder = await encodeNamedWeights(options.autoencoder.autoencoder.namedVariables());
  await saveTrainedModel(dir, {
    kind: options.kind,
    modality: TEXT_TO_IMAGE_MODALITY,
    trainerConfig: options.trainerConfig ?? {},
    step: options.step ?? 0,
    weights: textToImageVariables(options.model),
    files: {
      'config.json': formatJsonFile(textToImageHeader(options.model)),
      'schedule.json': formatJsonFile(options.schedule.config),
      [TEXT_TO_IMAGE_AUTOENCODER_FILES.config]: formatJsonFile(latentAutoencoderHeader(options.autoencoder)),
      [TEXT_TO_IMAGE_AUTOENCODER_FILES.manifest]: formatJsonFile(autoencoder.manifest),
      [TEXT_TO_IMAGE_AUTOENCODER_FILES.weights]: autoencoder.data,
    },
  });
}

/**
 * Reads a directory written by {@link saveTextToImageTrainedModel}: tokenizer, caption encoder,
 * latent denoiser, autoencoder, schedule and manifest. The caller disposes `encoder`, `denoiser`
 * and `autoencoder.autoencoder`.
 * @throws InvalidArgumentError naming `dir` when it is not a saved model or of another modality.
 * @throws DataFormatError naming the file for a malformed part.
 */
export async function loadTextToImageTrainedModel(dir: string): Promise<SavedTextToImageModel> {
  const manifest = await readSavedModelManifest(dir, { modality: TEXT_TO_IMAGE_MODALITY });
  const schedule = await loadNoiseScheduleFile(join(dir, 'schedule.json'));
  const { tokenizer, encoder, denoiser } = await loadTextToImageModel(dir);
  try {
    const autoencoder = await loadLatentAutoencoder(dir, TEXT_TO_IMAGE_AUTOENCODER_FILES);
    return { tokenizer, encoder, denoiser, autoencoder, schedule, manifest };
  } catch (error) {
    encoder.dispose();
    denoiser.dispose();
    throw error;
  }
}
