import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireNumber } from '@dpo-ts/core';
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
  /**
   * Mean absolute error per pixel value of the scale-equivariance term, `|pool_f(x) - decode(pool_f(z))|`
   * (0 when `scaleEquivarianceWeight` is 0).
   */
  readonly scaleEquivariance: tf.Scalar;
}

/** Options of {@link autoencoderLoss} beyond the KL weight. */
export interface AutoencoderLossOptions {
  /**
   * Weight of the scale-equivariance term (Skorokhodov et al. 2025): the decoder must turn a
   * latent average-pooled by f into the image average-pooled by f. 0 (the default) leaves the
   * loss, and the draws from `rng`, exactly as without it.
   * @defaultValue 0
   */
  readonly scaleEquivarianceWeight?: number;
  /**
   * The pooling factors f, one drawn uniformly per batch (after the posterior noise); each must
   * divide the latent height and width (checked only when the weight is above 0). @defaultValue [2, 4]
   */
  readonly scaleFactors?: readonly number[];
}

/**
 * The KL-regularised autoencoder objective of latent diffusion, without the perceptual and
 * adversarial terms (32 px emoji on white are flat shapes; an L1 pixel loss reconstructs them):
 *
 *   z = mean + exp(logVar / 2) e,  e ~ N(0, I) (drawn from `rng` on the host)
 *   loss = mean_pixels |x - decode(z)| + klWeight * KL / P + seWeight * mean_pixels |pool_f(x) - decode(pool_f(z))|,
 *   KL = 1/2 sum_latent (mean^2 + exp(logVar) - 1 - logVar)  per example, averaged over the batch,
 *
 * with P = h * w * c pixel values per image and pool_f an f x f average pool (f drawn per batch
 * from `scaleFactors`). Dividing both first terms by P keeps Stable Diffusion's ratio (its loss
 * sums the reconstruction over pixels and the KL over latents, per example, with kl_weight 1e-6).
 *
 * The last term is the scale-equivariance regulariser of "Improving the Diffusability of
 * Autoencoders" (Skorokhodov et al. 2025, Sec. 4; EQ-VAE, Kouzelis et al. 2025, is the same idea
 * for scaling): a latent whose coarse part decodes to the coarse image carries less
 * high-frequency content that the decoder depends on, which a diffusion model (coarse to fine)
 * finds easier to generate. The paper down-samples bilinearly; here the pool is an average,
 * which for factors 2 and 4 of an 8x8 latent is the anti-aliased version of the same thing.
 *
 * @see Rombach et al. 2022, Sec. 3.1 and Appendix G; Kingma & Welling 2014 (the KL term).
 * @param images - `[b, h, w, c]` in [-1, 1].
 * @param options - the scale-equivariance weight and factors; off by default.
 * @throws InvalidArgumentError naming the option when a factor does not divide the latent size.
 * @returns scalars; the caller disposes all four.
 */
export function autoencoderLoss(
  autoencoder: LatentAutoencoder,
  images: tf.Tensor4D,
  rng: Rng,
  klWeight: number = DEFAULT_AUTOENCODER_KL_WEIGHT,
  options: AutoencoderLossOptions = {},
): AutoencoderLossTerms {
  requireNumber('klWeight', klWeight, { min: 0 });
  const seWeight = requireNumber('options.scaleEquivarianceWeight', options.scaleEquivarianceWeight ?? 0, { min: 0 });
  const factors = options.scaleFactors ?? [2, 4];
  const [batch] = images.shape;
  const [lh, lw, lc] = autoencoder.latentShape;
  if (
    seWeight > 0 &&
    (factors.length === 0 || factors.some((f) => !Number.isInteger(f) || f < 1 || lh % f !== 0 || lw % f !== 0))
  ) {
    throw new InvalidArgumentError(
      'options.scaleFactors',
      `a non-empty list of integers >= 1 dividing the latent size ${lh}x${lw}`,
      factors,
    );
  }
  const noise = new Float32Array(batch * lh * lw * lc);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const factor = seWeight > 0 ? factors[rng.int(factors.length)]! : 0;
  const [loss, reconstruction, kl, scaleEquivariance] = tf.tidy(() => {
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
    const se =
      factor > 0
        ? tf.mean(
            tf.abs(
              tf.sub(
                tf.avgPool(images, factor, factor, 'valid'),
                autoencoder.decode(tf.avgPool(z, factor, factor, 'valid')),
              ),
            ),
          )
        : tf.scalar(0);
    return [tf.add(tf.add(rec, tf.mul(klWeight, klTerm)), tf.mul(seWeight, se)), rec, klTerm, se] as tf.Scalar[];
  });
  return { loss: loss!, reconstruction: reconstruction!, kl: kl!, scaleEquivariance: scaleEquivariance! };
}
