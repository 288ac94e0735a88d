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
import type { ImageShape } from '../denoiser.js';
import { addNoise } from '../denoising-errors.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import type { EncodedText } from '../text-to-image/caption-encoder.js';
import { DENOISING_ERROR_DETAILS } from './diffusion-preference-scorer.js';
import type { LatentPreferenceBatch } from './latent-preference-batch.js';
import { encodeTextCondition } from '../text-to-image/text-condition.js';

/** A text encoder as the latent scorer uses it (`CaptionEncoder` is one). */
export interface ConditionEncoder extends Checkpointable {
  /** The encoder's settings the scorer reads. */
  readonly config: {
    /** Token ids per caption: batches must carry exactly this many per caption. */
    readonly maxLength: number;
  };
  /** `[batch * maxLength]` ids -> per-token vectors and a pooled `[batch, dim]` embedding; caller disposes. */
  encode(tokenIds: Int32Array, batch: number): EncodedText;
}

/**
 * A denoiser conditioned on one conditioning row per example, with a learned null row for
 * classifier-free guidance (`LatentTextDenoiser` is one, FiLM-only or with cross-attention to the
 * caption's token vectors packed into the row; so would be any such denoiser over pixels).
 */
export interface EmbeddingConditionedDenoiser extends Checkpointable {
  /** The denoiser's settings the scorer and trainer read. */
  readonly config: {
    /** `[h, w, c]` of the latents it denoises. */
    readonly latentShape: ImageShape;
    /** Probability of replacing the caption by the null embedding in training (classifier-free guidance), in [0, 1]. */
    readonly cfgDropProb: number;
  };
  /** `[b, h, w, c]`, `[b]` float timesteps, `[b, conditionWidth]` -> predicted noise `[b, h, w, c]`; caller disposes. */
  predictNoise(noisy: tf.Tensor4D, timesteps: tf.Tensor1D, text: tf.Tensor2D): tf.Tensor4D;
  /** `[b, conditionWidth]` copies of the null condition; caller disposes. */
  nullTexts(batch: number): tf.Tensor2D;
  /** Encoded captions -> `[b, conditionWidth]` conditioning rows; does not dispose `encoded`, caller disposes the result. */
  textCondition(encoded: EncodedText): tf.Tensor2D;
}

/** A text encoder and the denoiser it conditions: what latent Diffusion-DPO scores. */
export interface TextConditionedDiffusion {
  /** Encodes captions' token ids; the denoiser turns its output into conditioning rows. */
  readonly encoder: ConditionEncoder;
  /** Predicts the noise in a noised latent given a timestep and a caption embedding. */
  readonly denoiser: EmbeddingConditionedDenoiser;
}

/** Options of {@link LatentDiffusionPreferenceScorer}. */
export interface LatentDiffusionPreferenceScorerOptions {
  /** score = -scale * mse. @defaultValue DIFFUSION_SCORE_SCALE (0.5) */
  readonly scale?: number;
  /** Report any variable as trainable (false for a frozen reference). @defaultValue true */
  readonly trainable?: boolean;
  /**
   * Train the text encoder with the denoiser. Off by default, as in Diffusion-DPO, which
   * fine-tunes the UNet and keeps SD's CLIP text encoder frozen; see {@link LatentDiffusionDPOTrainer}.
   * @defaultValue false
   */
  readonly trainTextEncoder?: boolean;
}

/**
 * Diffusion-DPO's scorer in latent space, for any {@link TextConditionedDiffusion}: each pair's
 * latents z_w, z_l (scaled autoencoder means, see {@link encodeCaptionPreferences}) are noised
 * with the pair's shared (t, eps), z_t = sqrt(abar_t) z + sqrt(1 - abar_t) eps, and scored by
 *
 *   score(z) = -scale * mean_latent_entries (eps - eps_theta(z_t, t, c))^2
 *
 * with c the pooled caption embedding, or the null embedding where the batch's CFG dropout
 * says so (the same c for chosen, rejected, policy and reference). Captions are encoded once
 * per pair; both sides run as one denoiser pass of 2 x batch latents.
 *
 * `details` carries the per-pair errors under `DENOISING_ERROR_DETAILS` (`mse/chosen`,
 * `mse/rejected`), so the trainer's per-timestep metrics need no second pass.
 *
 * @see Wallace et al. 2023, "Diffusion Model Alignment Using Direct Preference Optimization", Eq. 14;
 *   Rombach et al. 2022 (the latent space).
 */
export class LatentDiffusionPreferenceScorer implements PreferenceScorer<LatentPreferenceBatch>, Checkpointable {
  /** The text encoder and denoiser scored (policy or reference); the caller's, not disposed by the scorer. */
  readonly model: TextConditionedDiffusion;
  /** The noise schedule that gives z_t = sqrt(abar_t) z + sqrt(1 - abar_t) eps. */
  readonly schedule: NoiseSchedule;
  /** {@inheritDoc LatentDiffusionPreferenceScorerOptions.scale} */
  readonly scale: number;
  /** {@inheritDoc LatentDiffusionPreferenceScorerOptions.trainTextEncoder} */
  readonly trainTextEncoder: boolean;
  private readonly trainable: boolean;

  /**
   * Scores pairs with `model` under `schedule` (both kept by reference, not copied or disposed).
   * @throws InvalidArgumentError naming `options.scale` unless it is > 0.
   */
  constructor(
    model: TextConditionedDiffusion,
    schedule: NoiseSchedule,
    options: LatentDiffusionPreferenceScorerOptions = {},
  ) {
    this.model = model;
    this.schedule = schedule;
    this.scale = requireNumber('options.scale', options.scale ?? DIFFUSION_SCORE_SCALE, { min: 0, exclusiveMin: true });
    this.trainable = options.trainable ?? true;
    this.trainTextEncoder = options.trainTextEncoder ?? false;
  }

  /** `{ chosen, rejected }`, each `[batch]`, with the per-pair errors in `details`; the caller owns them. */
  score(batch: LatentPreferenceBatch, context: ScoreContext): PairScores {
    void context; // deterministic given the batch: the dropout is drawn into it
    const { encoder, denoiser } = this.model;
    const shape = denoiser.config.latentShape;
    if (batch.latentShape.join() !== shape.join()) {
      throw new InvalidArgumentError('batch.latentShape', `[${shape.join(', ')}] (the denoiser's)`, batch.latentShape);
    }
    if (batch.maxLength !== encoder.config.maxLength) {
      throw new InvalidArgumentError(
        'batch.maxLength',
        `${encoder.config.maxLength} (the text encoder's)`,
        batch.maxLength,
      );
    }
    const n = batch.numPairs;
    const [h, w, c] = shape;
    return tf.tidy(() => {
      const latents = tf.concat([tf.tensor4d(batch.chosen, [n, h, w, c]), tf.tensor4d(batch.rejected, [n, h, w, c])]);
      const noise = tf.tensor4d(batch.noise, [n, h, w, c]);
      const noise2 = tf.concat([noise, noise]) as tf.Tensor4D; // [2n, h, w, c]
      const timesteps = Int32Array.from({ length: 2 * n }, (_, i) => batch.timesteps[i % n]!);
      const noisy = addNoise(this.schedule, latents as tf.Tensor4D, timesteps, noise2);
      const condition = encodeTextCondition(encoder, denoiser, batch.tokenIds, n); // [n, conditionWidth]
      const keep = tf.tensor2d(
        Float32Array.from(batch.dropCaption, (d) => 1 - d),
        [n, 1],
      );
      const text = tf.add(tf.mul(condition, keep), tf.mul(denoiser.nullTexts(n), tf.sub(1, keep))) as tf.Tensor2D;
      const predicted = denoiser.predictNoise(
        noisy,
        tf.tensor1d(Float32Array.from(timesteps)),
        tf.concat([text, text]) as tf.Tensor2D,
      );
      const errors = tf.mean(tf.squaredDifference(noise2, predicted), [1, 2, 3]); // [2n, h, w, c] -> [2n]
      const [chosenErrors, rejectedErrors] = tf.split(errors, 2) as [tf.Tensor1D, tf.Tensor1D];
      return {
        chosen: denoisingScore(chosenErrors, this.scale),
        rejected: denoisingScore(rejectedErrors, this.scale),
        details: { [DENOISING_ERROR_DETAILS.chosen]: chosenErrors, [DENOISING_ERROR_DETAILS.rejected]: rejectedErrors },
      };
    });
  }

  /** The denoiser's weights, and the text encoder's with `trainTextEncoder`; none when frozen. */
  trainableVariables(): tf.Variable[] {
    if (!this.trainable) return [];
    const denoiser = [...this.model.denoiser.namedVariables().values()];
    return this.trainTextEncoder ? [...this.model.encoder.namedVariables().values(), ...denoiser] : denoiser;
  }

  /** Both networks' weights, `text.<name>` and `denoiser.<name>` (as `textToImageVariables`). */
  namedVariables(): NamedVariables {
    const variables = new Map<string, tf.Variable>();
    for (const [name, v] of this.model.encoder.namedVariables()) variables.set(`text.${name}`, v);
    for (const [name, v] of this.model.denoiser.namedVariables()) variables.set(`denoiser.${name}`, v);
    return variables;
  }
}
