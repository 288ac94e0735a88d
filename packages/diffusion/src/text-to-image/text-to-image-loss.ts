import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireNumber } from '@dpo-ts/core';
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

/** Options of {@link textToImageLoss}. */
export interface TextToImageLossOptions {
  /**
   * Min-SNR-gamma loss weighting (Hang et al., ICCV 2023): each example's squared noise error
   * is weighted by w_t = min(SNR_t, gamma) / SNR_t, SNR_t = abar_t / (1 - abar_t), the weight of
   * epsilon prediction (diffusers' `--snr_gamma`; the paper and diffusers use 5).
   * It lowers the weight of the nearly clean timesteps, whose gradients conflict with the
   * noisy ones that decide an image's layout. Undefined (the default) weights every example 1,
   * L_simple.
   */
  readonly minSnrGamma?: number;
}

/**
 * Latent diffusion's training loss with a jointly trained caption encoder and CFG dropout:
 *
 *   t ~ U{0..T-1}, e ~ N(0, I) (one each per example, drawn from `rng` in that order: all t, then e, then the dropout draws)
 *   z_t = sqrt(abar_t) z_0 + sqrt(1 - abar_t) e
 *   c = pooled caption embedding, replaced by the null embedding with probability cfgDropProb
 *   loss = mean over the batch of w_t * mean over latent entries of (e - eps_theta(z_t, t, c))^2
 *
 * with w_t = 1 (L_simple: the mean over batch and entries) or, with `options.minSnrGamma`, the
 * min-SNR-gamma weight min(SNR_t, gamma) / SNR_t.
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
  options: TextToImageLossOptions = {},
): tf.Scalar {
  const gamma = options.minSnrGamma;
  if (gamma !== undefined) requireNumber('options.minSnrGamma', gamma, { min: 0, exclusiveMin: true });
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
    const squared = tf.square(tf.sub(epsilon, denoiser.predictNoise(noisy, t, text)));
    if (gamma === undefined) return tf.mean(squared) as tf.Scalar;
    const weights = tf.tensor1d(minSnrWeights(schedule, timesteps, gamma));
    return tf.mean(tf.mul(tf.mean(squared, [1, 2, 3]), weights)) as tf.Scalar;
  });
}

/**
 * The min-SNR-gamma weights of epsilon prediction, w_t = min(SNR_t, gamma) / SNR_t with
 * SNR_t = abar_t / (1 - abar_t), one per timestep (Hang et al., ICCV 2023).
 * Plain numbers, computed in float64.
 */
export function minSnrWeights(schedule: NoiseSchedule, timesteps: ArrayLike<number>, gamma: number): Float32Array {
  requireNumber('gamma', gamma, { min: 0, exclusiveMin: true });
  return Float32Array.from(timesteps, (t) => {
    const abar = schedule.alphasCumprod[t];
    if (abar === undefined) throw new InvalidArgumentError('timesteps', `integers in [0, ${schedule.numTimesteps})`, t);
    const snr = abar / (1 - abar);
    return Math.min(snr, gamma) / snr;
  });
}
