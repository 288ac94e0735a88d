import * as tf from '@tensorflow/tfjs-core';

/**
 * Default factor between the mean squared denoising error and the score of a diffusion
 * sample: score = -DIFFUSION_SCORE_SCALE * mse.
 *
 * Diffusion-DPO (Wallace et al. 2023, Eq. 14) writes the loss as
 * -log sigmoid(-beta T w(lambda) * (||e_w - e_theta(x_w,t)||^2 - ||e_w - e_ref(x_w,t)||^2 - (same for l))).
 * The constant T w(lambda) is folded into beta. The official code
 * (SalesforceAIResearch/DiffusionDPO, train.py) multiplies the error difference by
 * -0.5 * beta_dpo with beta_dpo = 5000 by default; the diffusers example drops the 0.5 and uses
 * beta = 2500: the same loss. We keep the official 0.5, so beta values transfer from the paper
 * and its code unchanged: beta = 5000 here is beta_dpo = 5000 there.
 */
export const DIFFUSION_SCORE_SCALE = 0.5;

/**
 * ELBO surrogate score of diffusion samples from their per-example denoising errors:
 * `score = -scale * mse`, shape `[batch]` in, `[batch]` out.
 *
 * @param meanSquaredErrors - per-example mean over pixels of (eps - eps_theta(x_t, t))^2, `[batch]`.
 * @param scale - factor folded with beta; see {@link DIFFUSION_SCORE_SCALE}.
 * @returns a new tensor `[batch]`; the caller disposes it.
 */
export function denoisingScore(meanSquaredErrors: tf.Tensor1D, scale = DIFFUSION_SCORE_SCALE): tf.Tensor1D {
  return tf.tidy(() => tf.mul(meanSquaredErrors, -scale));
}
