import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { createDenoiser } from '../denoiser-checkpoint.js';
import type { Denoiser, DenoiserKind } from '../denoiser.js';
import { denoisingErrors } from '../denoising-errors.js';
import type { MLPDenoiserConfig } from '../mlp-denoiser.js';
import { NoiseSchedule, type NoiseScheduleConfig } from '../noise-schedule.js';
import type { UNetConfig } from '../unet.js';
import type { DenoisingBatch } from './denoising-batch.js';

/** Configuration of {@link createDenoiserSFTTask}: JSON, so it can build the replica in a worker. */
export type DenoiserSFTTaskConfig = {
  /** `'mlp'` ({@link MLPDenoiser}) or `'unet'` ({@link UNet}). */
  readonly kind: DenoiserKind;
  /** The denoiser's configuration (`denoiser.config` of the main thread's model). */
  readonly denoiser: Partial<MLPDenoiserConfig> | Partial<UNetConfig>;
  /** The noise schedule's configuration (`schedule.config`). */
  readonly schedule: Partial<NoiseScheduleConfig>;
};

/** The step-wide JSON this task reads (`GradientCall.step`). */
type StepJSON = { readonly totalExamples?: number } | null;

/**
 * The plain denoising loss (Ho et al.'s L_simple) of a denoiser on one {@link DenoisingBatch}
 * micro-batch, as a core `ParallelTask`: the unit data-parallel workers compute
 * (DiffusionSFTTrainer's per-micro-batch loss).
 *
 *   loss_k = sum_{examples i of micro-batch k} mean_pixels (eps_i - eps_theta(x_t, t_i, y_i))^2 / N
 *
 * with N = `context.step.totalExamples` (the examples of the whole step, so accumulated
 * micro-batches equal one big batch), or the micro-batch's own examples when the step passes
 * none. The batch carries its timesteps, noise and (possibly dropped) labels, so the loss is a
 * pure function of batch and weights. Metric: `error_sum` (the summed per-example errors).
 *
 * `model` and `schedule` are the trainer's own on the main thread; in a worker they are built
 * from `config`. `dispose()` frees a model the task built, never one it was given.
 *
 * @see Ho et al. 2020, Eq. 14 (L_simple); Ho & Salimans 2022 (label dropout for guidance).
 */
export function createDenoiserSFTTask(
  config: DenoiserSFTTaskConfig,
  model?: Denoiser,
  schedule?: NoiseSchedule,
): ParallelTask<DenoisingBatch> {
  const denoiser = model ?? createDenoiser(config.kind, config.denoiser);
  const noiseSchedule = schedule ?? new NoiseSchedule(config.schedule);
  return {
    namedVariables: denoiser.namedVariables(),
    lossAndMetrics(batch, context) {
      const [h, w, c] = batch.imageShape;
      const images = tf.tensor4d(batch.images, [batch.numExamples, h, w, c]);
      const noise = tf.tensor4d(batch.noise, [batch.numExamples, h, w, c]);
      const errorSum = tf.sum(
        denoisingErrors(denoiser, noiseSchedule, images, batch.timesteps, noise, batch.labels),
      ) as tf.Scalar; // [n] -> []
      const total = (context.step as StepJSON)?.totalExamples ?? batch.numExamples;
      return { loss: tf.div(errorSum, total) as tf.Scalar, metrics: { error_sum: errorSum } };
    },
    dispose: () => {
      if (model === undefined) denoiser.dispose();
    },
  };
}

/** The spec that builds {@link createDenoiserSFTTask}(config) in each worker of a core `GradientWorkerPool`. */
export function denoiserSFTTaskSpec(config: DenoiserSFTTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/diffusion', export: 'createDenoiserSFTTask', config: config as unknown as JsonValue };
}
