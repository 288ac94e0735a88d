import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireNumber } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import { addNoise } from '../denoising-errors.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import type { CaptionEncoder } from './caption-encoder.js';
import type { LatentTextDenoiser } from './latent-text-denoiser.js';
import { encodeTextCondition } from './text-condition.js';

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
  /**
   * Conditioning augmentation (after StackGAN's, Zhang et al., ICCV 2017, Sec. 3.1, without its
   * learned variance): before CFG dropout, each caption's conditioning row (the pooled embedding,
   * and with cross-attention the token vectors after it) gets Gaussian noise
   *
   *   c_i <- c_i + s * sigma * n_i,  n_i ~ N(0, I),  sigma_d = std over the batch of c[:, d]
   *
   * with s this option: noise at s times the spread between the batch's captions in every
   * dimension, so the denoiser learns a smooth map from the embedding space (a caption it never
   * saw lands between those it did) and a larger encoder output cannot outgrow the noise. The
   * spread is a plain number per dimension (no gradient flows through it). The noise is drawn
   * from `rng` after the timesteps and noise, before the dropout draws. Undefined or 0 (the
   * default): no noise, and the draws are those of a loss without this option.
   */
  readonly conditionNoise?: number;
}

/**
 * Latent diffusion's training loss with a jointly trained caption encoder and CFG dropout:
 *
 *   t ~ U{0..T-1}, e ~ N(0, I) (one each per example, drawn from `rng` in that order: all t, then e,
 *   then with `options.conditionNoise` the embedding noise, then the dropout draws)
 *   z_t = sqrt(abar_t) z_0 + sqrt(1 - abar_t) e
 *   c = the caption's conditioning row (`denoiser.textCondition`: the pooled embedding, and with cross-attention the token vectors;
 *       plus conditioning noise, `options.conditionNoise`), replaced by the null row with probability cfgDropProb
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
  const noiseScale = options.conditionNoise ?? 0;
  requireNumber('options.conditionNoise', noiseScale, { min: 0 });
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
  const conditionWidth = denoiser.conditionWidth;
  const textNoise =
    noiseScale > 0 ? Float32Array.from({ length: size * conditionWidth }, () => rng.normal()) : undefined;
  return tf.tidy(() => {
    const epsilon = tf.tensor4d(noise, [size, height, width, channels]);
    const t = tf.tensor1d(Float32Array.from(timesteps));
    const noisy = addNoise(schedule, batch.latents, Array.from(timesteps), epsilon);
    const condition = encodeTextCondition(encoder, denoiser, batch.tokenIds, size);
    const conditioned =
      textNoise === undefined
        ? condition
        : (tf.add(condition, scaledConditionNoise(condition, textNoise, noiseScale)) as tf.Tensor2D);
    const text = denoiser.dropCaptions(conditioned, rng);
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

/**
 * `s * sigma_d * n` for conditioning augmentation: sigma_d, the standard deviation of
 * `pooled[:, d]` over the batch (biased), read as plain numbers so no gradient flows through it;
 * `noise` holds the `[b, d]` standard normal draws. Returns `[b, d]` inside the caller's tidy.
 */
function scaledConditionNoise(pooled: tf.Tensor2D, noise: Float32Array, scale: number): tf.Tensor2D {
  const [size, dim] = pooled.shape;
  const values = pooled.dataSync();
  const spread = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += values[i * dim + d]!;
    mean /= size;
    let variance = 0;
    for (let i = 0; i < size; i++) variance += (values[i * dim + d]! - mean) ** 2;
    spread[d] = scale * Math.sqrt(variance / size);
  }
  return tf.mul(tf.tensor2d(noise, [size, dim]), tf.tensor2d(spread, [1, dim]));
}
