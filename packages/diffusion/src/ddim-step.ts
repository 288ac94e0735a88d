import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, assertShape, requireBoolean, requireInteger, requireNumber } from '@dpo-ts/core';
import type { Denoiser } from './denoiser.js';
import type { NoiseSchedule } from './noise-schedule.js';
import { guidedNoise } from './guidance.js';
import { toLabelTensor, type LabelInput } from './inputs.js';

/** Settings shared by DDIM sampling, inversion and step log-probabilities. */
export interface DDIMStepOptions {
  /**
   * eta: 0 is deterministic DDIM, 1 has the DDPM posterior variance (Song et al. 2021, Eq. 16).
   * @defaultValue 0
   */
  readonly eta?: number;
  /** Classifier-free guidance scale w (see {@link guidedNoise}). @defaultValue 1 */
  readonly guidanceScale?: number;
  /** Clip the predicted x_0 to [-1, 1] (diffusers' clip_sample; eps is not re-derived). @defaultValue true */
  readonly clipDenoised?: boolean;
  /**
   * alpha-bar after the last step (previous timestep -1): 1 when true (the DDIM paper), abar_0
   * when false. False is Stable Diffusion's scheduler setting, which DDPO trained with, and keeps
   * sigma > 0 on the last step so every step has a log-probability.
   * @defaultValue false
   */
  readonly setAlphaToOne?: boolean;
}

/** The timesteps of a DDIM run: step i goes from `timesteps[i]` to `prevTimesteps[i]` (-1 = the end). */
export interface DDIMTimesteps {
  /** Descending, length numSteps. */
  readonly timesteps: readonly number[];
  /** `timesteps[i] - T / numSteps`; -1 for the last step. */
  readonly prevTimesteps: readonly number[];
}

/**
 * The DDIM sub-sequence of timesteps with diffusers' "leading" spacing: c = floor(T / numSteps),
 * timesteps i c + stepsOffset for i = numSteps-1..0, each step going back c.
 * `stepsOffset` 1 is Stable Diffusion's setting (and DDPO's): T = 1000, 50 steps gives 981, ..., 1.
 *
 * @see Song et al. 2021, "Denoising Diffusion Implicit Models", Section 4.2 and Appendix C.
 * @param stepsOffset - @defaultValue 1
 */
export function ddimTimesteps(schedule: NoiseSchedule, numSteps: number, stepsOffset = 1): DDIMTimesteps {
  requireInteger('numSteps', numSteps, { min: 1, max: schedule.numTimesteps });
  requireInteger('stepsOffset', stepsOffset, { min: 0 });
  const stride = Math.floor(schedule.numTimesteps / numSteps);
  const timesteps = Array.from({ length: numSteps }, (_, i) => (numSteps - 1 - i) * stride + stepsOffset);
  if (timesteps[0]! >= schedule.numTimesteps) {
    throw new InvalidArgumentError(
      'stepsOffset',
      `small enough that the first timestep (${timesteps[0]}) is below T = ${schedule.numTimesteps}`,
      stepsOffset,
    );
  }
  return { timesteps, prevTimesteps: timesteps.map((t) => (t - stride >= 0 ? t - stride : -1)) };
}

/** Per-example DDIM coefficients, float64 on the host. */
export interface DDIMCoefficients {
  /** sqrt(abar_t) per example: turns predicted noise into x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t). */
  readonly sqrtAlphaBar: Float64Array;
  /** sqrt(1 - abar_t) per example. */
  readonly sqrtOneMinusAlphaBar: Float64Array;
  /**
   * sqrt(abar_prev) per example, the weight of the predicted x_0 in x_{t-1}; abar_prev is 1 (or
   * abar_0 without `setAlphaToOne`) on the last step.
   */
  readonly sqrtAlphaBarPrev: Float64Array;
  /** sigma_t(eta) = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev). */
  readonly sigma: Float64Array;
  /** sqrt(1 - abar_prev - sigma^2), the weight of the "direction pointing to x_t". */
  readonly direction: Float64Array;
}

/** Computes {@link DDIMCoefficients} for each (t, prev) pair. */
export function ddimCoefficients(
  schedule: NoiseSchedule,
  timesteps: ArrayLike<number>,
  prevTimesteps: ArrayLike<number>,
  eta: number,
  setAlphaToOne: boolean,
): DDIMCoefficients {
  const n = timesteps.length;
  if (prevTimesteps.length !== n)
    throw new InvalidArgumentError('prevTimesteps', `length ${n} (one per timestep)`, prevTimesteps.length);
  const finalAlphaBar = setAlphaToOne ? 1 : schedule.alphasCumprod[0]!;
  const out = {
    sqrtAlphaBar: new Float64Array(n),
    sqrtOneMinusAlphaBar: new Float64Array(n),
    sqrtAlphaBarPrev: new Float64Array(n),
    sigma: new Float64Array(n),
    direction: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const alphaBar = schedule.alphasCumprod[schedule.checkTimestep(timesteps[i]!, i)]!;
    const prev = prevTimesteps[i]!;
    if (prev !== -1) schedule.checkTimestep(prev, i);
    const alphaBarPrev = prev === -1 ? finalAlphaBar : schedule.alphasCumprod[prev]!;
    const variance = ((1 - alphaBarPrev) / (1 - alphaBar)) * (1 - alphaBar / alphaBarPrev);
    const sigma = eta * Math.sqrt(Math.max(variance, 0));
    out.sqrtAlphaBar[i] = Math.sqrt(alphaBar);
    out.sqrtOneMinusAlphaBar[i] = Math.sqrt(1 - alphaBar);
    out.sqrtAlphaBarPrev[i] = Math.sqrt(alphaBarPrev);
    out.sigma[i] = sigma;
    out.direction[i] = Math.sqrt(Math.max(1 - alphaBarPrev - sigma * sigma, 0));
  }
  return out;
}

/** `[batch]` host values -> a `[batch, 1, 1, 1]` float32 tensor. */
export function broadcastable(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

/**
 * Mean of the DDIM transition x_t -> x_prev given the predicted noise (Song et al. 2021, Eq. 12):
 * x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) (optionally clipped),
 * mean = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps.
 * @returns a new `[batch, h, w, c]` tensor.
 */
export function ddimMean(
  noisyImages: tf.Tensor4D,
  eps: tf.Tensor4D,
  coefficients: DDIMCoefficients,
  clipDenoised: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    let x0 = tf.div(
      tf.sub(noisyImages, tf.mul(broadcastable(coefficients.sqrtOneMinusAlphaBar), eps)),
      broadcastable(coefficients.sqrtAlphaBar),
    );
    if (clipDenoised) x0 = tf.clipByValue(x0, -1, 1);
    return tf.add(
      tf.mul(broadcastable(coefficients.sqrtAlphaBarPrev), x0),
      tf.mul(broadcastable(coefficients.direction), eps),
    );
  });
}

/**
 * log N(x_prev; mean, sigma^2 I), averaged over pixels (not summed): the mean over the h*w*c
 * coordinates of -(x_prev - mean)^2 / (2 sigma^2) - log sigma - log sqrt(2 pi). Averaging is
 * ddpo-pytorch's convention (`ddim_with_logprob.py`: "mean along all but batch dimension"), so
 * PPO clip ranges from DDPO (1e-4) transfer; the summed log-density is this times h*w*c.
 *
 * @param sigma - `[batch]` host standard deviations, all > 0.
 * @returns `[batch]`, a new tensor (differentiable through `mean`).
 */
export function gaussianLogProb(previousImages: tf.Tensor4D, mean: tf.Tensor4D, sigma: ArrayLike<number>): tf.Tensor1D {
  requirePositiveSigma(sigma);
  return tf.tidy(() => {
    const s = broadcastable(sigma);
    const logNormaliser = tf.add(tf.log(s), 0.5 * Math.log(2 * Math.PI)); // [b, 1, 1, 1]
    const density = tf.sub(
      tf.neg(tf.div(tf.square(tf.sub(previousImages, mean)), tf.mul(2, tf.square(s)))),
      logNormaliser,
    );
    return tf.mean(density, [1, 2, 3]) as tf.Tensor1D;
  });
}

/** Throws unless every sigma is > 0: a deterministic step has no log-density. */
export function requirePositiveSigma(sigma: ArrayLike<number>): void {
  for (let i = 0; i < sigma.length; i++) {
    if (!(sigma[i]! > 0)) {
      throw new InvalidArgumentError(
        `sigma[${i}]`,
        '> 0 for a step log-probability (use eta > 0, and setAlphaToOne false for the last step)',
        sigma[i],
      );
    }
  }
}

/** One DDIM transition to score: x_t at `timesteps`, x_prev at `prevTimesteps` (-1 = the end). */
export interface DDIMTransition {
  /** x_t, `[batch, h, w, c]`. */
  readonly noisyImages: tf.Tensor4D;
  /** x_prev, `[batch, h, w, c]` (a constant: no gradient flows into it). */
  readonly previousImages: tf.Tensor4D;
  /** `[batch]` integers in [0, T); examples may sit at different steps (DDPO shuffles them). */
  readonly timesteps: ArrayLike<number>;
  /** `[batch]`, each in [0, T) or -1. */
  readonly prevTimesteps: ArrayLike<number>;
  /** `[batch]` class labels in [0, numClasses]. */
  readonly labels: LabelInput;
}

/**
 * log p_theta(x_prev | x_t, c) of a DDIM transition with eta > 0 under the current weights:
 * the Gaussian N(mean_theta, sigma_t^2 I) of Song et al. Eq. 12, averaged over pixels as in
 * {@link gaussianLogProb}. Differentiable with respect to the denoiser's variables: DDPO's
 * importance ratio is exp(ddimStepLogProb(current) - logProb at sampling time).
 *
 * @see Song et al. 2021, Eqs. 12 and 16; Black et al. 2023 (DDPO), Section 4.
 * @returns `[batch]`, a new tensor; the caller disposes it.
 */
export function ddimStepLogProb(
  denoiser: Denoiser,
  schedule: NoiseSchedule,
  transition: DDIMTransition,
  options: DDIMStepOptions = {},
): tf.Tensor1D {
  const eta = requireNumber('eta', options.eta ?? 0, { min: 0, exclusiveMin: true });
  const guidanceScale = requireNumber('guidanceScale', options.guidanceScale ?? 1);
  const clipDenoised = requireBoolean('clipDenoised', options.clipDenoised ?? true);
  const setAlphaToOne = requireBoolean('setAlphaToOne', options.setAlphaToOne ?? false);
  const { noisyImages, previousImages, timesteps } = transition;
  assertShape('noisyImages', noisyImages.shape, [timesteps.length, ...denoiser.imageShape]);
  assertShape('previousImages', previousImages.shape, noisyImages.shape);
  const coefficients = ddimCoefficients(schedule, timesteps, transition.prevTimesteps, eta, setAlphaToOne);
  return tf.tidy(() => {
    const labels = toLabelTensor(transition.labels, denoiser.numClasses + 1);
    const t = tf.tensor1d(Float32Array.from(timesteps));
    const eps = guidedNoise(denoiser, noisyImages, t, labels, guidanceScale);
    return gaussianLogProb(previousImages, ddimMean(noisyImages, eps, coefficients, clipDenoised), coefficients.sigma);
  });
}
