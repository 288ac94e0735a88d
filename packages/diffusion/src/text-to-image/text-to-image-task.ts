import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { type JsonValue, Rng } from '@dpo-ts/core/training';
import { NoiseSchedule, type NoiseScheduleConfig } from '../noise-schedule.js';
import { CaptionEncoder, type CaptionEncoderConfig } from './caption-encoder.js';
import { LatentTextDenoiser, type LatentTextDenoiserConfig } from './latent-text-denoiser.js';
import { textToImageVariables } from './text-to-image-checkpoint.js';
import { textToImageLoss, type TextToImageLossOptions } from './text-to-image-loss.js';

/** Configuration of {@link createTextToImageTask}: JSON, so it can build the replica in a worker. */
export type TextToImageTaskConfig = {
  /** The caption encoder's configuration (`encoder.config` of the main thread's model). */
  readonly encoder: CaptionEncoderConfig;
  /** The latent denoiser's configuration (`denoiser.config`). */
  readonly denoiser: LatentTextDenoiserConfig;
  /** The noise schedule's configuration (`schedule.config`). */
  readonly schedule: Partial<NoiseScheduleConfig>;
  /** Options of the loss (min-SNR-gamma weighting); none: L_simple. */
  readonly loss?: TextToImageLossOptions;
};

/**
 * One micro-batch of the text-to-image base training: plain arrays, so it can be posted to a
 * worker thread. The draws (timesteps, noise, caption dropout) come from `new Rng(seed)` inside
 * the loss, so a micro-batch's loss is a pure function of the batch and the weights, whichever
 * thread computes it.
 */
export interface TextToImageMicroBatch {
  /** Scaled latents, `[numExamples, h, w, c]` flattened (autoencoder mean times the scaling factor). */
  readonly latents: Float32Array;
  /** Caption token ids, `[numExamples * maxLength]` (`CaptionTokenizer.encodeBatch`). */
  readonly tokenIds: Int32Array;
  /** Examples in this micro-batch. */
  readonly numExamples: number;
  /** Seed of the micro-batch's draws (an unsigned 32-bit integer). */
  readonly seed: number;
}

/** The step-wide JSON this task reads (`GradientCall.step`). */
type StepJSON = { readonly totalExamples?: number } | null;

/**
 * The text-to-image training loss ({@link textToImageLoss}: latent diffusion's L_simple with a
 * jointly trained caption encoder and CFG dropout) of one {@link TextToImageMicroBatch}, as a
 * core `ParallelTask`, the unit that data-parallel workers compute:
 *
 *   loss_k = mean_k(e - eps_theta(z_t, t, c))^2 * n_k / N
 *
 * with n_k the micro-batch's examples and N = `context.step.totalExamples` (the whole step's
 * examples; n_k when the step passes none), so the micro-batches' losses and gradients sum to
 * the mean over the step, as one batch of N would give. Metric: `mse` (the micro-batch's own mean;
 * min-SNR-weighted when `config.loss.minSnrGamma` is set).
 *
 * Variables are {@link textToImageVariables}' names (`text.*`, `denoiser.*`). `encoder` and
 * `denoiser` are the main thread's own models; in a worker they are built from `config` (their
 * weights are overwritten by the pool before each call). `dispose()` frees models the task
 * built, never ones it was given.
 *
 * @see Rombach et al. 2022, Eq. 2 (L_LDM); Ho & Salimans 2022, Algorithm 1 (condition dropout).
 */
export function createTextToImageTask(
  config: TextToImageTaskConfig,
  models?: {
    readonly encoder: CaptionEncoder;
    readonly denoiser: LatentTextDenoiser;
    readonly schedule: NoiseSchedule;
  },
): ParallelTask<TextToImageMicroBatch> {
  const encoder = models?.encoder ?? new CaptionEncoder(config.encoder);
  const denoiser = models?.denoiser ?? new LatentTextDenoiser(config.denoiser);
  const schedule = models?.schedule ?? new NoiseSchedule(config.schedule);
  const [h, w, c] = denoiser.config.latentShape;
  const latentSize = h * w * c;
  return {
    namedVariables: textToImageVariables({ encoder, denoiser }),
    lossAndMetrics(batch, context) {
      const n = batch.numExamples;
      if (batch.latents.length !== n * latentSize) {
        throw new InvalidArgumentError('batch.latents', `${n} x ${latentSize} values`, batch.latents.length);
      }
      // Called on the gradient tape, inside the engine's tidy: the latents tensor is freed with it.
      const latents = tf.tensor4d(batch.latents, [n, h, w, c]);
      const mse = textToImageLoss(
        encoder,
        denoiser,
        schedule,
        { latents, tokenIds: batch.tokenIds },
        new Rng(batch.seed),
        config.loss,
      );
      const total = (context.step as StepJSON)?.totalExamples ?? n;
      return { loss: tf.mul(mse, n / total) as tf.Scalar, metrics: { mse } };
    },
    dispose: () => {
      if (models === undefined) {
        encoder.dispose();
        denoiser.dispose();
      }
    },
  };
}

/** The spec that builds {@link createTextToImageTask}(config) in each worker of a core `GradientWorkerPool`. */
export function textToImageTaskSpec(config: TextToImageTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/diffusion', export: 'createTextToImageTask', config: config as unknown as JsonValue };
}
