import * as tf from '@tensorflow/tfjs-core';
import { assertShape, requireBoolean, requireInteger, requireNumber } from '@dpo-ts/core';
import type { Denoiser } from './denoiser.js';
import type { NoiseSchedule } from './noise-schedule.js';
import { guidedNoise } from './guidance.js';
import { toLabelTensor } from './inputs.js';
import { ddimTimesteps } from './ddim-step.js';

/** Options of {@link ddimInvert}; use the same values to decode with {@link ddimSample} at eta = 0. */
export interface DDIMInversionOptions {
  /** One class label per image, in [0, numClasses]. */
  readonly labels: ArrayLike<number>;
  /** @defaultValue 50 */
  readonly numSteps?: number;
  /** @defaultValue 1 */
  readonly stepsOffset?: number;
  /** @defaultValue 1 */
  readonly guidanceScale?: number;
  /** @defaultValue false */
  readonly setAlphaToOne?: boolean;
}

/**
 * Deterministic DDIM inversion (encoding): runs the eta = 0 ODE of Song et al. 2021 (Eq. 13)
 * forwards, from clean images to the latent at the first sampling timestep, so that
 * {@link ddimSample} with eta = 0, `clipDenoised: false` and the same settings decodes it back
 * (up to the discretisation error of evaluating eps at the neighbouring level).
 *
 * Step from level a to the next, higher-noise level b (levels: the end, t_0, ..., t_{S-1}):
 * eps = eps_theta(x_a, t_b), x0_hat = (x_a - sqrt(1 - abar_a) eps) / sqrt(abar_a),
 * x_b = sqrt(abar_b) x0_hat + sqrt(1 - abar_b) eps (diffusers' DDIMInverseScheduler).
 *
 * @see Song et al. 2021, Section 4.3 ("encoding from x_0 to x_T").
 * @param images - x_0, `[batch, h, w, c]`; not disposed.
 * @returns the latent at timesteps[0] of {@link ddimTimesteps}, a new tensor; the caller disposes it.
 */
export function ddimInvert(
  denoiser: Denoiser,
  schedule: NoiseSchedule,
  images: tf.Tensor4D,
  options: DDIMInversionOptions,
): tf.Tensor4D {
  const numSteps = requireInteger('numSteps', options.numSteps ?? 50, { min: 1 });
  const guidanceScale = requireNumber('guidanceScale', options.guidanceScale ?? 1);
  const setAlphaToOne = requireBoolean('setAlphaToOne', options.setAlphaToOne ?? false);
  const batch = options.labels.length;
  assertShape('images', images.shape, [batch, ...denoiser.imageShape]);
  const { timesteps } = ddimTimesteps(schedule, numSteps, options.stepsOffset ?? 1);
  const ascending = [...timesteps].reverse();
  const labels = toLabelTensor(options.labels, denoiser.numClasses + 1);
  let alphaBar = setAlphaToOne ? 1 : schedule.alphasCumprod[0]!;
  let x: tf.Tensor4D = tf.clone(images);
  try {
    for (const t of ascending) {
      const alphaBarNext = schedule.alphasCumprod[t]!;
      const next = tf.tidy(() => {
        const eps = guidedNoise(denoiser, x, tf.fill([batch], t, 'float32') as tf.Tensor1D, labels, guidanceScale);
        const x0 = tf.div(tf.sub(x, tf.mul(eps, Math.sqrt(1 - alphaBar))), Math.sqrt(alphaBar));
        return tf.add(tf.mul(x0, Math.sqrt(alphaBarNext)), tf.mul(eps, Math.sqrt(1 - alphaBarNext))) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
      alphaBar = alphaBarNext;
    }
  } catch (error) {
    x.dispose();
    throw error;
  } finally {
    labels.dispose();
  }
  return x;
}
