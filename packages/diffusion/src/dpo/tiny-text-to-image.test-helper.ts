import * as tf from '@tensorflow/tfjs-core';
import type { Checkpointable } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { CaptionEncoder } from '../text-to-image/caption-encoder.js';
import { LatentTextDenoiser } from '../text-to-image/latent-text-denoiser.js';
import type { CaptionLatentPreferences } from './caption-latent-preferences.js';
import { TextToImageDPOModel } from './text-to-image-dpo-model.js';

/** Latent shape of the tiny models: 2x2x2. */
export const TINY_LATENT_SHAPE = [2, 2, 2] as const;
/** Caption length of the tiny encoder. */
export const TINY_MAX_LENGTH = 4;

/**
 * A ~3k-weight caption encoder (vocabulary 6, dim 8, one block) and FiLM denoiser on 2x2x2
 * latents, the denoiser's zero-initialised output conv perturbed so it predicts non-zero noise.
 * With `contextLength` (TINY_MAX_LENGTH) the denoiser also cross-attends to the caption's tokens.
 * The caller disposes both with `disposeTiny`.
 */
export function tinyTextToImage(seed = 0, contextLength = 0): TextToImageDPOModel {
  const encoder = new CaptionEncoder({ vocabSize: 6, maxLength: TINY_MAX_LENGTH, dim: 8, layers: 1, heads: 2, seed });
  const denoiser = new LatentTextDenoiser({
    latentShape: TINY_LATENT_SHAPE,
    textDim: 8,
    channels: 8,
    blocks: 1,
    groups: 2,
    cfgDropProb: 0.1,
    contextLength,
    attentionHeads: 2,
    seed,
  });
  perturb(denoiser, seed + 100, 0.1);
  return new TextToImageDPOModel(encoder, denoiser);
}

/** Disposes both networks of a tiny model built by {@link tinyTextToImage}. */
export function disposeTiny(model: TextToImageDPOModel): void {
  model.encoder.dispose();
  model.denoiser.dispose();
}

/** Adds N(0, scale^2) to every weight. */
export function perturb(model: Checkpointable, seed: number, scale: number): void {
  const rng = new Rng(seed);
  tf.tidy(() => {
    for (const variable of model.namedVariables().values()) {
      const noise = Float32Array.from({ length: variable.size }, () => rng.normal() * scale);
      variable.assign(tf.add(variable, tf.tensor(noise, variable.shape)));
    }
  });
}

/** `count` random latent pairs with captions of token ids in [1, 6) (a few padded). */
export function randomLatentPairs(count: number, seed: number): CaptionLatentPreferences {
  const rng = new Rng(seed);
  const size = count * 8;
  const tokenIds = Int32Array.from({ length: count * TINY_MAX_LENGTH }, (_, i) =>
    i % TINY_MAX_LENGTH === 3 && (i >> 2) % 2 === 0 ? 0 : 1 + rng.int(5),
  );
  return {
    chosen: Float32Array.from({ length: size }, () => rng.normal()),
    rejected: Float32Array.from({ length: size }, () => rng.normal()),
    captions: Array.from({ length: count }, (_, i) => `caption ${i}`),
    tokenIds,
    maxLength: TINY_MAX_LENGTH,
    count,
    latentShape: TINY_LATENT_SHAPE,
  };
}
