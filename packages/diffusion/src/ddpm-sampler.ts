import * as tf from '@tensorflow/tfjs-core';
import { requireBoolean, requireNumber, requireOneOf, assertShape } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { Denoiser } from './denoiser.js';
import type { NoiseSchedule } from './noise-schedule.js';
import { guidedNoise } from './guidance.js';
import { standardNormal, toLabelTensor } from './inputs.js';

/**
 * Variance of the reverse step: `'posterior'` is beta-tilde_t (Ho et al.'s "fixedsmall", best
 * for short chains and the default of their code), `'beta'` is beta_t ("fixedlarge").
 */
export type DDPMVarianceType = 'posterior' | 'beta';

/** Options of {@link ddpmSample}. */
export interface DDPMSamplerOptions {
  /** One class label per image, in [0, numClasses] (nullClass = unconditional); sets the batch size. */
  readonly labels: ArrayLike<number>;
  /** Source of the initial noise and of every step's noise. */
  readonly rng: Rng;
  /** Classifier-free guidance scale w (see {@link guidedNoise}). @defaultValue 1 */
  readonly guidanceScale?: number;
  /** Clip the predicted x_0 to [-1, 1] before forming the posterior mean (Ho et al.'s code). @defaultValue true */
  readonly clipDenoised?: boolean;
  /** @defaultValue 'posterior' */
  readonly varianceType?: DDPMVarianceType;
  /** x_T, `[batch, h, w, c]`, instead of drawing it from `rng`; not disposed. */
  readonly initialNoise?: tf.Tensor4D;
  /** Called after each step with the timestep just completed (progress bars). */
  readonly onStep?: (timestep: number) => void;
}

/**
 * Ancestral DDPM sampling through all T steps: x_T ~ N(0, I); for t = T-1..0,
 * x0_hat = sqrt(1/abar_t) x_t - sqrt(1/abar_t - 1) eps (clipped to [-1, 1] by default),
 * x_{t-1} = coef1_t x0_hat + coef2_t x_t + sigma_t z, z ~ N(0, I), no noise at t = 0.
 * Without clipping this is exactly Algorithm 2 of Ho et al.
 *
 * Each step runs in its own `tf.tidy`; noise comes from `rng` on the host, so a seed fixes the
 * samples on every backend.
 *
 * @see Ho et al. 2020, Algorithm 2 and Eqs. 6-7, 11; Ho & Salimans 2022 for guidance.
 * @returns x_0, `[batch, h, w, c]`, roughly in [-1, 1]; the caller disposes it.
 */
export function ddpmSample(denoiser: Denoiser, schedule: NoiseSchedule, options: DDPMSamplerOptions): tf.Tensor4D {
  const guidanceScale = requireNumber('guidanceScale', options.guidanceScale ?? 1);
  const clipDenoised = requireBoolean('clipDenoised', options.clipDenoised ?? true);
  const varianceType = requireOneOf('varianceType', options.varianceType ?? 'posterior', [
    'posterior',
    'beta',
  ] as const);
  const batch = options.labels.length;
  const shape = [batch, ...denoiser.imageShape];
  if (options.initialNoise) assertShape('initialNoise', options.initialNoise.shape, shape);
  const labels = toLabelTensor(options.labels, denoiser.numClasses + 1);
  let x: tf.Tensor4D = options.initialNoise
    ? tf.clone(options.initialNoise)
    : (standardNormal(shape, options.rng) as tf.Tensor4D);
  try {
    for (let t = schedule.numTimesteps - 1; t >= 0; t--) {
      const sigma =
        t === 0 ? 0 : Math.sqrt(varianceType === 'posterior' ? schedule.posteriorVariance[t]! : schedule.betas[t]!);
      const noise = sigma > 0 ? standardNormal(shape, options.rng) : undefined;
      const next: tf.Tensor4D = tf.tidy(() => {
        const timesteps = tf.fill([batch], t, 'float32') as tf.Tensor1D;
        const eps = guidedNoise(denoiser, x, timesteps, labels, guidanceScale);
        let x0: tf.Tensor4D = tf.sub(
          tf.mul(x, schedule.sqrtRecipAlphasCumprod[t]!),
          tf.mul(eps, schedule.sqrtRecipm1AlphasCumprod[t]!),
        );
        if (clipDenoised) x0 = tf.clipByValue(x0, -1, 1);
        const mean: tf.Tensor4D = tf.add(
          tf.mul(x0, schedule.posteriorMeanCoef1[t]!),
          tf.mul(x, schedule.posteriorMeanCoef2[t]!),
        );
        return noise ? tf.add(mean, tf.mul(noise, sigma)) : mean;
      });
      noise?.dispose();
      x.dispose();
      x = next;
      options.onStep?.(t);
    }
  } catch (error) {
    x.dispose();
    throw error;
  } finally {
    labels.dispose();
  }
  return x;
}
