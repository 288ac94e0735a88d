import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DPOTSError } from '@dpo-ts/core';
import { loadCheckpoint, restoreWeights } from '@dpo-ts/core/training';
import { readJsonFile } from '@dpo-ts/core/io';
import { CaptionEncoder, type CaptionEncoderConfig } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { loadLatentAutoencoder, type ScaledAutoencoder } from './autoencoder-checkpoint.js';
import { EMOJI_AUTOENCODER_CHECKPOINT } from './emoji-autoencoder-checkpoint.js';
import { LatentTextDenoiser, type LatentTextDenoiserConfig } from './latent-text-denoiser.js';
import { loadTextToImageTrainedModel } from './saved-text-to-image-model.js';
import { loadTextToImageModel, textToImageVariables, type TextToImageModel } from './text-to-image-checkpoint.js';

/** Which kind of directory {@link loadTextToImageSnapshot} read. */
export type TextToImageSnapshotKind = 'saved-model' | 'trained-model' | 'run-checkpoint';

/** A text-to-image model read from disk, with its autoencoder and where it came from. */
export interface TextToImageSnapshot {
  /** Tokenizer, caption encoder and latent denoiser; the caller disposes the two networks. */
  readonly model: TextToImageModel;
  /** The autoencoder of its latents; the caller disposes `autoencoder.autoencoder`. */
  readonly autoencoder: ScaledAutoencoder;
  /** Optimiser steps of the training that produced it; null when the directory does not say. */
  readonly step: number | null;
  /** The directory read (for a run checkpoint, its step directory). */
  readonly source: string;
  /**
   * `'saved-model'`: `saveTextToImageModel`'s directory (the base run's `--out`), autoencoder
   * from the options; `'trained-model'`: `saveTextToImageTrainedModel`'s (it holds its own
   * autoencoder); `'run-checkpoint'`: a training checkpoint of the base run.
   */
  readonly kind: TextToImageSnapshotKind;
}

/** Options of {@link loadTextToImageSnapshot}. */
export interface TextToImageSnapshotOptions {
  /**
   * The training captions the base run built its tokenizer from (`CaptionTokenizer.fromCaptions`,
   * in dataset order); needed for a run checkpoint only, which stores weights but no tokenizer.
   */
  readonly trainCaptions?: readonly string[];
  /** The autoencoder directory for a saved model or a run checkpoint. @defaultValue `EMOJI_AUTOENCODER_CHECKPOINT` */
  readonly autoencoder?: string;
  /** A run checkpoint's caption encoder config, less `vocabSize` (the tokenizer's). @defaultValue the training script's: defaults, seed 0 */
  readonly encoder?: Partial<Omit<CaptionEncoderConfig, 'vocabSize'>>;
  /** A run checkpoint's denoiser config, less `latentShape` and `textDim`. @defaultValue the training script's: defaults, seed 1 */
  readonly denoiser?: Partial<Omit<LatentTextDenoiserConfig, 'latentShape' | 'textDim'>>;
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Loads a text-to-image model from whichever form it is in: a saved model (`config.json` of
 * `saveTextToImageModel`, as `scripts/train-emoji-text-to-image.ts` writes to `--out` at the end;
 * the step from its metadata's `step` or the `steps` of a `training.json` beside it), a trained
 * model (`trainer.json` of `saveTextToImageTrainedModel`), or a training checkpoint of the base
 * run (a `latest` pointer or a step directory: networks rebuilt as the script builds them, the
 * tokenizer from `trainCaptions`).
 * @throws DPOTSError naming the directory when a run checkpoint does not match the architecture,
 *   or when it is given without `trainCaptions`.
 */
export async function loadTextToImageSnapshot(
  directory: string,
  options: TextToImageSnapshotOptions = {},
): Promise<TextToImageSnapshot> {
  if (await exists(join(directory, 'trainer.json'))) {
    const saved = await loadTextToImageTrainedModel(directory);
    const { tokenizer, encoder, denoiser, autoencoder, manifest } = saved;
    return {
      model: { tokenizer, encoder, denoiser },
      autoencoder,
      step: manifest.step,
      source: directory,
      kind: 'trained-model',
    };
  }
  const autoencoderDirectory = options.autoencoder ?? EMOJI_AUTOENCODER_CHECKPOINT;
  if (await exists(join(directory, 'config.json'))) {
    const { tokenizer, encoder, denoiser, metadata } = await loadTextToImageModel(directory);
    try {
      const autoencoder = await loadLatentAutoencoder(autoencoderDirectory);
      return {
        model: { tokenizer, encoder, denoiser },
        autoencoder,
        step: await savedStep(directory, metadata),
        source: directory,
        kind: 'saved-model',
      };
    } catch (error) {
      encoder.dispose();
      denoiser.dispose();
      throw error;
    }
  }
  return loadTextToImageRunCheckpoint(directory, autoencoderDirectory, options);
}

/** The step of a saved model: `metadata.step`, else `steps` of `training.json` beside it, else null. */
async function savedStep(directory: string, metadata: Readonly<Record<string, unknown>>): Promise<number | null> {
  if (typeof metadata.step === 'number') return metadata.step;
  const summary = join(directory, 'training.json');
  if (!(await exists(summary))) return null;
  const steps = (await readJsonFile(summary)).steps;
  return typeof steps === 'number' ? steps : null;
}

async function loadTextToImageRunCheckpoint(
  directory: string,
  autoencoderDirectory: string,
  options: TextToImageSnapshotOptions,
): Promise<TextToImageSnapshot> {
  if (options.trainCaptions === undefined)
    throw new DPOTSError(
      `${directory}: a run checkpoint holds no tokenizer: pass options.trainCaptions (the base run's training captions)`,
    );
  const checkpoint = await loadCheckpoint(directory);
  const autoencoder = await loadLatentAutoencoder(autoencoderDirectory);
  const tokenizer = CaptionTokenizer.fromCaptions(options.trainCaptions);
  const encoder = new CaptionEncoder({ seed: 0, ...options.encoder, vocabSize: tokenizer.vocabSize });
  const denoiser = new LatentTextDenoiser({
    seed: 1,
    ...options.denoiser,
    latentShape: autoencoder.autoencoder.latentShape,
    textDim: encoder.config.dim,
  });
  try {
    restoreWeights(textToImageVariables({ encoder, denoiser }), checkpoint.weights, { source: checkpoint.path });
  } catch (error) {
    encoder.dispose();
    denoiser.dispose();
    autoencoder.autoencoder.dispose();
    throw new DPOTSError(`${directory}: not a text-to-image base run checkpoint: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    model: { tokenizer, encoder, denoiser },
    autoencoder,
    step: checkpoint.step,
    source: checkpoint.path,
    kind: 'run-checkpoint',
  };
}
