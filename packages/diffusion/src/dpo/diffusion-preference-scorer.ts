import * as tf from '@tensorflow/tfjs-core';
import {
  DIFFUSION_SCORE_SCALE,
  InvalidArgumentError,
  denoisingScore,
  requireNumber,
  type Checkpointable,
  type NamedVariables,
  type PairScores,
  type PreferenceScorer,
  type ScoreContext,
} from '@dpo-ts/core';
import type { Denoiser } from '../denoiser.js';
import { denoisingErrors } from '../denoising-errors.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import type { DiffusionPreferenceBatch } from './diffusion-preference-batch.js';

/**
 * Keys of the per-pair denoising errors in the scores' `details` (core's `PairScores.details`):
 * mean over pixels of (eps - eps_theta(x_t, t, c))^2 of the chosen and of the rejected image.
 */
export const DENOISING_ERROR_DETAILS = Object.freeze({ chosen: 'mse/chosen', rejected: 'mse/rejected' } as const);

/** Options of {@link DiffusionPreferenceScorer}. */
export interface DiffusionPreferenceScorerOptions {
  /** score = -scale * mse. @defaultValue DIFFUSION_SCORE_SCALE (0.5, the official code's) */
  readonly scale?: number;
  /** Report the denoiser's variables as trainable (false for a frozen reference). @defaultValue true */
  readonly trainable?: boolean;
}

/**
 * Diffusion-DPO's scorer: core's {@link PreferenceScorer} for a denoiser. For each pair, the
 * chosen and rejected image are noised with the pair's shared timestep t and noise eps
 * (x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps) and scored by minus the scaled denoising error:
 *
 *   score(x_0) = -scale * mean_pixels (eps - eps_theta(x_t, t, c))^2     (core's `denoisingScore`)
 *
 * an ELBO surrogate for log p_theta(x_0 | c) up to terms that cancel in the DPO log-ratio
 * (Wallace et al. 2023, Eqs. 9-14). Both sides run as one forward pass of 2 x batch images.
 *
 * Randomness lives in the batch (see {@link buildDiffusionPreferenceBatch}), classifier-free
 * label dropout included, so `context.training` changes nothing here: the reference, always
 * scored with `training: false`, must see exactly what the policy saw.
 *
 * Metrics: the per-pair denoising errors travel with the scores in `details`
 * (`DENOISING_ERROR_DETAILS`), for the trainer's MSE and per-timestep metrics, so no second
 * forward pass and no scorer state are needed.
 *
 * @see Wallace et al. 2023, "Diffusion Model Alignment Using Direct Preference Optimization", Eq. 14.
 */
export class DiffusionPreferenceScorer implements PreferenceScorer<DiffusionPreferenceBatch>, Checkpointable {
  /** The denoiser eps_theta scored (policy or reference); the caller's, not disposed by the scorer. */
  readonly denoiser: Denoiser;
  /** The noise schedule that gives x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps. */
  readonly schedule: NoiseSchedule;
  /** {@inheritDoc DiffusionPreferenceScorerOptions.scale} */
  readonly scale: number;
  private readonly trainable: boolean;

  /**
   * Scores pairs with `denoiser` under `schedule` (both kept by reference, not copied or disposed).
   * @throws InvalidArgumentError naming `options.scale` unless it is > 0.
   */
  constructor(denoiser: Denoiser, schedule: NoiseSchedule, options: DiffusionPreferenceScorerOptions = {}) {
    this.denoiser = denoiser;
    this.schedule = schedule;
    this.scale = requireNumber('options.scale', options.scale ?? DIFFUSION_SCORE_SCALE, { min: 0, exclusiveMin: true });
    this.trainable = options.trainable ?? true;
  }

  /**
   * Scores every pair: `{ chosen, rejected }`, each `[batch]`, differentiable in the denoiser's
   * weights, with the per-pair errors in `details`. The caller owns the tensors.
   */
  score(batch: DiffusionPreferenceBatch, context: ScoreContext): PairScores {
    void context; // deterministic given the batch; see the class notes
    const [height, width, channels] = this.denoiser.imageShape;
    if (batch.imageShape.join() !== this.denoiser.imageShape.join()) {
      throw new InvalidArgumentError(
        'batch.imageShape',
        `[${this.denoiser.imageShape.join(', ')}] (the denoiser's)`,
        `[${batch.imageShape.join(', ')}]`,
      );
    }
    const n = batch.numPairs;
    return tf.tidy(() => {
      const images = tf.concat(
        [
          tf.tensor4d(batch.chosen, [n, height, width, channels]),
          tf.tensor4d(batch.rejected, [n, height, width, channels]),
        ],
        0,
      ) as tf.Tensor4D; // [2n, h, w, c]
      const noise = tf.tensor4d(batch.noise, [n, height, width, channels]);
      const timesteps = Int32Array.from({ length: 2 * n }, (_, i) => batch.timesteps[i % n]!);
      const labels = Int32Array.from({ length: 2 * n }, (_, i) => batch.labels[i % n]!);
      const errors = denoisingErrors(
        this.denoiser,
        this.schedule,
        images,
        timesteps,
        tf.concat([noise, noise], 0) as tf.Tensor4D,
        labels,
      ); // [2n]
      const [chosenErrors, rejectedErrors] = tf.split(errors, 2) as [tf.Tensor1D, tf.Tensor1D];
      return {
        chosen: denoisingScore(chosenErrors, this.scale),
        rejected: denoisingScore(rejectedErrors, this.scale),
        details: { [DENOISING_ERROR_DETAILS.chosen]: chosenErrors, [DENOISING_ERROR_DETAILS.rejected]: rejectedErrors },
      };
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.trainable ? this.denoiser.trainableVariables() : [];
  }

  namedVariables(): NamedVariables {
    return this.denoiser.namedVariables();
  }
}
