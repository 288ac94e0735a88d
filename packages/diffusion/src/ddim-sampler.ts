import * as tf from '@tensorflow/tfjs-core';
import { assertShape, requireBoolean, requireInteger, requireNumber } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { Denoiser } from './denoiser.js';
import type { NoiseSchedule } from './noise-schedule.js';
import { guidedNoise } from './guidance.js';
import { standardNormal, toLabelTensor } from './inputs.js';
import {
  broadcastable,
  ddimCoefficients,
  ddimMean,
  ddimTimesteps,
  gaussianLogProb,
  requirePositiveSigma,
  type DDIMStepOptions,
} from './ddim-step.js';

/** Options of {@link ddimSample}. */
export interface DDIMSamplerOptions extends DDIMStepOptions {
  /** One class label per image, in [0, numClasses] (nullClass = unconditional); sets the batch size. */
  readonly labels: ArrayLike<number>;
  /** Source of the initial noise and, when eta > 0, of every step's noise. */
  readonly rng: Rng;
  /** Number of denoising steps S (a sub-sequence of the T training timesteps). @defaultValue 50 */
  readonly numSteps?: number;
  /** See {@link ddimTimesteps}. @defaultValue 1 */
  readonly stepsOffset?: number;
  /** x at the first timestep, `[batch, h, w, c]`, instead of drawing it from `rng`; not disposed. */
  readonly initialNoise?: tf.Tensor4D;
  /** Also return every latent x_{t_S-1}, ..., x_final (DDPO trains on them). @defaultValue false */
  readonly returnLatents?: boolean;
  /** Called after each step with its index (progress bars). */
  readonly onStep?: (step: number) => void;
}

/** What {@link ddimSample} returns. Every tensor belongs to the caller. */
export interface DDIMSampleResult {
  /** The samples, `[batch, h, w, c]`, roughly in [-1, 1]. */
  readonly images: tf.Tensor4D;
  /** Timestep of each step, descending, length S. */
  readonly timesteps: readonly number[];
  /** Where each step lands, length S; -1 for the last. */
  readonly prevTimesteps: readonly number[];
  /** With `returnLatents`: S + 1 tensors `[batch, h, w, c]`; latents[i] is the input of step i, latents[S] equals `images`. */
  readonly latents?: tf.Tensor4D[];
  /**
   * With eta > 0: `[batch, S]`, entry (b, i) = log p(latents[i+1] | latents[i]) of step i,
   * averaged over pixels (see {@link gaussianLogProb}).
   */
  readonly logProbs?: tf.Tensor2D;
}

/**
 * DDIM sampling (Song et al. 2021, Eq. 12) over a sub-sequence of S timesteps:
 * x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps + sigma z, with
 * sigma = eta sqrt((1 - abar_prev)/(1 - abar_t)) sqrt(1 - abar_t/abar_prev) (Eq. 16).
 * eta = 0 is deterministic given the initial noise; eta = 1 matches DDPM's variance.
 * With eta > 0 it also returns each transition's log-probability under N(mean, sigma^2 I),
 * what DDPO's policy gradient needs (Black et al. 2023), computed exactly as
 * {@link ddimStepLogProb} recomputes it later under updated weights.
 *
 * Each step runs in its own `tf.tidy`; all noise comes from `rng` on the host.
 *
 * @see Song et al. 2021, Eqs. 12, 16; Ho & Salimans 2022 (guidance); Black et al. 2023 (DDPO).
 */
export function ddimSample(denoiser: Denoiser, schedule: NoiseSchedule, options: DDIMSamplerOptions): DDIMSampleResult {
  const numSteps = requireInteger('numSteps', options.numSteps ?? 50, { min: 1 });
  const eta = requireNumber('eta', options.eta ?? 0, { min: 0 });
  const guidanceScale = requireNumber('guidanceScale', options.guidanceScale ?? 1);
  const clipDenoised = requireBoolean('clipDenoised', options.clipDenoised ?? true);
  const setAlphaToOne = requireBoolean('setAlphaToOne', options.setAlphaToOne ?? false);
  const returnLatents = requireBoolean('returnLatents', options.returnLatents ?? false);
  const { timesteps, prevTimesteps } = ddimTimesteps(schedule, numSteps, options.stepsOffset ?? 1);
  const batch = options.labels.length;
  const shape = [batch, ...denoiser.imageShape];
  if (options.initialNoise) assertShape('initialNoise', options.initialNoise.shape, shape);
  const steps = timesteps.map((t, i) =>
    ddimCoefficients(
      schedule,
      new Array<number>(batch).fill(t),
      new Array<number>(batch).fill(prevTimesteps[i]!),
      eta,
      setAlphaToOne,
    ),
  );
  // Checked before any work: a zero sigma has no log-density.
  if (eta > 0)
    steps.forEach((c) => {
      requirePositiveSigma(c.sigma);
    });

  const labels = toLabelTensor(options.labels, denoiser.numClasses + 1);
  const latents: tf.Tensor4D[] = [];
  const logProbs: tf.Tensor1D[] = [];
  let x: tf.Tensor4D = options.initialNoise
    ? tf.clone(options.initialNoise)
    : (standardNormal(shape, options.rng) as tf.Tensor4D);
  try {
    for (let i = 0; i < numSteps; i++) {
      if (returnLatents) latents.push(tf.clone(x));
      const coefficients = steps[i]!;
      const noise = eta > 0 ? standardNormal(shape, options.rng) : undefined;
      const [next, logProb] = tf.tidy(() => {
        const t = tf.fill([batch], timesteps[i]!, 'float32') as tf.Tensor1D;
        const eps = guidedNoise(denoiser, x, t, labels, guidanceScale);
        const mean = ddimMean(x, eps, coefficients, clipDenoised);
        if (!noise) return [mean, undefined] as const;
        const sample = tf.add(mean, tf.mul(broadcastable(coefficients.sigma), noise)) as tf.Tensor4D;
        return [sample, gaussianLogProb(sample, mean, coefficients.sigma)] as const;
      });
      noise?.dispose();
      x.dispose();
      x = next;
      if (logProb) logProbs.push(logProb);
      options.onStep?.(i);
    }
  } catch (error) {
    tf.dispose([x, labels, ...latents, ...logProbs]);
    throw error;
  }
  labels.dispose();
  if (returnLatents) latents.push(tf.clone(x));
  const stacked = logProbs.length > 0 ? (tf.stack(logProbs, 1) as tf.Tensor2D) : undefined; // S x [b] -> [b, S]
  tf.dispose(logProbs);
  return {
    images: x,
    timesteps,
    prevTimesteps,
    ...(returnLatents ? { latents } : {}),
    ...(stacked ? { logProbs: stacked } : {}),
  };
}
