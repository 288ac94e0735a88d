import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import { addNoise } from '../denoising-errors.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import type { CaptionEncoder } from './caption-encoder.js';
import type { LatentTextDenoiser } from './latent-text-denoiser.js';

/** Inputs of {@link textToImageLoss}. */
export interface TextToImageBatch {
  /** Scaled latents of the images, `[b, h, w, c]` (autoencoder mean times the scaling factor). */
  readonly latents: tf.Tensor4D;
  /** Caption token ids, `[b * maxLength]` (`CaptionTokenizer.encodeBatch`). */
  readonly tokenIds: Int32Array;
}

/**
 * Latent diffusion's training loss with a jointly trained caption encoder and CFG dropout:
 *
 *   t ~ U{0..T-1}, e ~ N(0, I) (one each per example, drawn from `rng` in that order: all t, then e, then the dropout draws)
 *   z_t = sqrt(abar_t) z_0 + sqrt(1 - abar_t) e
 *   c = pooled caption embedding, replaced by the null embedding with probability cfgDropProb
 *   loss = mean over batch and latent entries of (e - eps_theta(z_t, t, c))^2
 *
 * @see Rombach et al. 2022, Eq. 2 (L_LDM); Ho et al. 2020, Eq. 14 (L_simple); Ho & Salimans 2022, Algorithm 1.
 * @returns a scalar on the tape (differentiable in the encoder's and denoiser's weights); the caller disposes it.
 */
export function textToImageLoss(
  encoder: CaptionEncoder,
  denoiser: LatentTextDenoiser,
  schedule: NoiseSchedule,
  batch: TextToImageBatch,
  rng: Rng,
): tf.Scalar {
  const [size, height, width, channels] = batch.latents.shape;
  const latentShape = denoiser.config.latentShape;
  if (height !== latentShape[0] || width !== latentShape[1] || channels !== latentShape[2]) {
    throw new InvalidArgumentError(
      'batch.latents',
      `[batch, ${latentShape.join(', ')}]`,
      `[${batch.latents.shape.join(', ')}]`,
    );
  }
  const timesteps = Int32Array.from({ length: size }, () => rng.int(schedule.numTimesteps));
  const noise = Float32Array.from({ length: size * height * width * channels }, () => rng.normal());
  return tf.tidy(() => {
    const epsilon = tf.tensor4d(noise, [size, height, width, channels]);
    const t = tf.tensor1d(Float32Array.from(timesteps));
    const noisy = addNoise(schedule, batch.latents, Array.from(timesteps), epsilon);
    const { tokens, pooled } = encoder.encode(batch.tokenIds, size);
    tokens.dispose();
    const text = denoiser.dropCaptions(pooled, rng);
    return tf.mean(tf.square(tf.sub(epsilon, denoiser.predictNoise(noisy, t, text)))) as tf.Scalar;
  });
}
