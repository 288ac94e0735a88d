import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { LatentAutoencoder } from './latent-autoencoder.js';

/**
 * Stable Diffusion's latent scaling factor: 1 / std of the encoder's latents over a sample of
 * images, so that scaled latents have unit variance, the scale the noise schedule assumes
 * (SD v1: 0.18215, from one batch). Here the std is over every entry of the posterior means
 * (the KL weight is tiny, so samples and means differ by little), computed on the host in
 * float64 from batches of `batchSize`.
 *
 * @see Rombach et al. 2022, Sec. 4.3.2 and Appendix G ("rescale the latent by the component-wise
 *   standard deviation"); diffusers' `vae.config.scaling_factor`.
 * @param images - `[n, h, w, c]` in [-1, 1], read in batches, not disposed.
 * @returns the factor, a plain number.
 */
export async function computeLatentScalingFactor(
  autoencoder: LatentAutoencoder,
  images: tf.Tensor4D,
  batchSize = 64,
): Promise<number> {
  requireInteger('batchSize', batchSize, { min: 1 });
  const count = images.shape[0];
  if (count < 1) throw new InvalidArgumentError('images', 'at least one image', images.shape);
  let sum = 0;
  let sumSquares = 0;
  let n = 0;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const latents = tf.tidy(() => autoencoder.encodeMean(tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1])));
    const values = await latents.data();
    latents.dispose();
    for (const v of values) {
      sum += v;
      sumSquares += v * v;
    }
    n += values.length;
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSquares / n - mean * mean));
  if (!(std > 0))
    throw new InvalidArgumentError('images', 'images whose latents are not all equal (std > 0)', `std ${std}`);
  return 1 / std;
}
