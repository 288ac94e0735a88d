import * as tf from '@tensorflow/tfjs-core';
import { assertShape, requireInteger, requireNumber } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { NoiseSchedule } from '../noise-schedule.js';
import { standardNormal } from '../inputs.js';
import {
  broadcastable,
  ddimCoefficients,
  ddimMean,
  ddimTimesteps,
  gaussianLogProb,
  requirePositiveSigma,
} from '../ddim-step.js';
import type { LatentTextDenoiser } from './latent-text-denoiser.js';

/**
 * Classifier-free-guided noise prediction with a caption embedding:
 * eps = eps(x_t, t, null) + w (eps(x_t, t, text) - eps(x_t, t, null)), the same convention as
 * {@link guidedNoise} (w = 1: conditional only, one pass; w = 0: unconditional only; otherwise
 * both branches as one batch of 2b).
 *
 * @see Ho & Salimans 2022, Eq. 6.
 * @param text - `[b, conditionWidth]` conditioning rows (`denoiser.textCondition`).
 * @returns `[b, h, w, c]`, differentiable; the caller disposes it.
 */
export function textGuidedNoise(
  denoiser: LatentTextDenoiser,
  noisyLatents: tf.Tensor4D,
  timesteps: tf.Tensor1D,
  text: tf.Tensor2D,
  guidanceScale: number,
): tf.Tensor4D {
  requireNumber('guidanceScale', guidanceScale);
  return tf.tidy(() => {
    const batch = noisyLatents.shape[0];
    if (guidanceScale === 1) return denoiser.predictNoise(noisyLatents, timesteps, text);
    const nullText = denoiser.nullTexts(batch);
    if (guidanceScale === 0) return denoiser.predictNoise(noisyLatents, timesteps, nullText);
    const both = denoiser.predictNoise(
      tf.concat([noisyLatents, noisyLatents], 0),
      tf.concat([timesteps, timesteps], 0),
      tf.concat([text, nullText], 0),
    );
    const [conditional, unconditional] = tf.split(both, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    return tf.add(unconditional, tf.mul(guidanceScale, tf.sub(conditional, unconditional)));
  });
}

/** Options of {@link ddimSampleFromText}. */
export interface TextDDIMOptions {
  /** `[b, conditionWidth]` conditioning rows (`denoiser.textCondition`; not disposed); sets the batch size. */
  readonly text: tf.Tensor2D;
  /** Initial noise and, with eta > 0, every step's noise. */
  readonly rng: Rng;
  /** @defaultValue 50 */
  readonly numSteps?: number;
  /** Guidance scale w. @defaultValue 3 */
  readonly guidanceScale?: number;
  /** 0: deterministic DDIM; 1: DDPM posterior variance. @defaultValue 0 */
  readonly eta?: number;
  /** `[b, h, w, c]` starting latents instead of noise from `rng` (not disposed). */
  readonly initialNoise?: tf.Tensor4D;
}

/** What {@link ddimSampleFromText} returns; the caller disposes the tensors. */
export interface TextDDIMResult {
  /** Scaled latents `[b, h, w, c]`: divide by the scaling factor and decode to get images. */
  readonly latents: tf.Tensor4D;
  /** With eta > 0: `[b, numSteps]` per-step log-probabilities (mean over latent entries), for DDPO. */
  readonly logProbs?: tf.Tensor2D;
}

/**
 * DDIM sampling of latents from caption embeddings with classifier-free guidance, reusing the
 * package's DDIM step (Song et al. 2021, Eq. 12; `setAlphaToOne` false as Stable Diffusion).
 * The predicted x_0 is not clipped: latents are not confined to [-1, 1].
 */
export function ddimSampleFromText(
  denoiser: LatentTextDenoiser,
  schedule: NoiseSchedule,
  options: TextDDIMOptions,
): TextDDIMResult {
  const numSteps = requireInteger('numSteps', options.numSteps ?? 50, { min: 1 });
  const guidanceScale = requireNumber('guidanceScale', options.guidanceScale ?? 3);
  const eta = requireNumber('eta', options.eta ?? 0, { min: 0 });
  const batch = options.text.shape[0];
  const shape = [batch, ...denoiser.config.latentShape];
  if (options.initialNoise) assertShape('initialNoise', options.initialNoise.shape, shape);
  const { timesteps, prevTimesteps } = ddimTimesteps(schedule, numSteps);
  const steps = timesteps.map((t, i) =>
    ddimCoefficients(
      schedule,
      new Array<number>(batch).fill(t),
      new Array<number>(batch).fill(prevTimesteps[i]!),
      eta,
      false,
    ),
  );
  if (eta > 0)
    steps.forEach((c) => {
      requirePositiveSigma(c.sigma);
    });
  let x = options.initialNoise ? tf.clone(options.initialNoise) : (standardNormal(shape, options.rng) as tf.Tensor4D);
  const logProbs: tf.Tensor1D[] = [];
  try {
    for (let i = 0; i < numSteps; i++) {
      const coefficients = steps[i]!;
      const noise = eta > 0 ? standardNormal(shape, options.rng) : undefined;
      const [next, logProb] = tf.tidy(() => {
        const eps = textGuidedNoise(
          denoiser,
          x,
          tf.fill([batch], timesteps[i]!, 'float32') as tf.Tensor1D,
          options.text,
          guidanceScale,
        );
        const mean = ddimMean(x, eps, coefficients, false);
        if (!noise) return [mean, undefined] as const;
        const sample = tf.add(mean, tf.mul(broadcastable(coefficients.sigma), noise)) as tf.Tensor4D;
        return [sample, gaussianLogProb(sample, mean, coefficients.sigma)] as const;
      });
      noise?.dispose();
      x.dispose();
      x = next;
      if (logProb) logProbs.push(logProb);
    }
  } catch (error) {
    tf.dispose([x, ...logProbs]);
    throw error;
  }
  if (logProbs.length === 0) return { latents: x };
  const stacked = tf.stack(logProbs, 1) as tf.Tensor2D;
  tf.dispose(logProbs);
  return { latents: x, logProbs: stacked };
}
