import * as tf from '@tensorflow/tfjs-core';
import { requireNumber } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { LatentAutoencoder } from './latent-autoencoder.js';

/** Stable Diffusion's KL weight (`kl_weight` of the f=8 KL autoencoder configs). */
export const DEFAULT_AUTOENCODER_KL_WEIGHT = 1e-6;

/** The terms of {@link autoencoderLoss}, scalars the caller disposes. */
export interface AutoencoderLossTerms {
  /** reconstruction + klWeight * kl, differentiable. */
  readonly loss: tf.Scalar;
  /** Mean absolute error per pixel value of the sampled reconstruction, in [-1, 1] units. */
  readonly reconstruction: tf.Scalar;
  /** KL(q(z|x) || N(0, I)) per example (summed over latent entries), divided by the pixel values per example. */
  readonly kl: tf.Scalar;
}

/**
 * The KL-regularised autoencoder objective of latent diffusion, without the perceptual and
 * adversarial terms (32 px emoji on white are flat shapes; an L1 pixel loss reconstructs them):
 *
 *   z = mean + exp(logVar / 2) e,  e ~ N(0, I) (drawn from `rng` on the host)
 *   loss = mean_pixels |x - decode(z)| + klWeight * KL / P,
 *   KL = 1/2 sum_latent (mean^2 + exp(logVar) - 1 - logVar)  per example, averaged over the batch,
 *
 * with P = h * w * c pixel values per image. Dividing both terms by P keeps Stable Diffusion's
 * ratio (its loss sums the reconstruction over pixels and the KL over latents, per example, with
 * kl_weight 1e-6).
 *
 * @see Rombach et al. 2022, Sec. 3.1 and Appendix G; Kingma & Welling 2014 (the KL term).
 * @param images - `[b, h, w, c]` in [-1, 1].
 * @returns scalars; the caller disposes all three.
 */
export function autoencoderLoss(
  autoencoder: LatentAutoencoder,
  images: tf.Tensor4D,
  rng: Rng,
  klWeight: number = DEFAULT_AUTOENCODER_KL_WEIGHT,
): AutoencoderLossTerms {
  requireNumber('klWeight', klWeight, { min: 0 });
  const [batch] = images.shape;
  const [lh, lw, lc] = autoencoder.latentShape;
  const noise = new Float32Array(batch * lh * lw * lc);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const [loss, reconstruction, kl] = tf.tidy(() => {
    const { mean, logVariance } = autoencoder.encode(images);
    const z: tf.Tensor4D = tf.add(
      mean,
      tf.mul(tf.exp(tf.mul(logVariance, 0.5)), tf.tensor4d(noise, [batch, lh, lw, lc])),
    );
    const decoded = autoencoder.decode(z);
    const rec = tf.mean(tf.abs(tf.sub(images, decoded)));
    const klPerExample = tf.mul(
      0.5,
      tf.sum(tf.sub(tf.sub(tf.add(tf.square(mean), tf.exp(logVariance)), 1), logVariance), [1, 2, 3]),
    );
    const pixels = images.shape[1] * images.shape[2] * images.shape[3];
    const klTerm = tf.div(tf.mean(klPerExample), pixels);
    return [tf.add(rec, tf.mul(klWeight, klTerm)), rec, klTerm] as tf.Scalar[];
  });
  return { loss: loss!, reconstruction: reconstruction!, kl: kl! };
}
