import * as tf from '@tensorflow/tfjs-core';
import { Rng, type JsonValue } from '@dpo-ts/core/training';
import { sampleTasks, type Sampler, type SamplerSpec } from '@dpo-ts/core/parallel';
import { ddimSample, type DDIMSamplerOptions } from './ddim-sampler.js';
import { ddpmSample, type DDPMSamplerOptions } from './ddpm-sampler.js';
import { createDenoiser } from './denoiser-checkpoint.js';
import type { Denoiser } from './denoiser.js';
import { NoiseSchedule } from './noise-schedule.js';
import type { DenoiserSFTTaskConfig } from './sft/denoiser-sft-task.js';

/**
 * Configuration of {@link createDenoiserSampler}: JSON, so it can build the replica in a
 * worker. The same fields as the denoiser's SFT task: kind, `denoiser.config`, `schedule.config`.
 */
export type DenoiserSamplerConfig = DenoiserSFTTaskConfig;

/** One task of {@link createDenoiserSampler}: one sampler call over a batch of class labels. */
export type DenoiserSamplingTask =
  | ({
      /** DDIM (Song et al. 2021), with DDPO's latents and per-step log-probs on request. */
      readonly method: 'ddim';
      /** Seed of the call's `Rng`: the initial noise and every step's noise. */
      readonly seed: number;
      /** One class label per image (nullClass = unconditional); sets the batch size. */
      readonly labels: readonly number[];
    } & Omit<DDIMSamplerOptions, 'labels' | 'rng' | 'initialNoise' | 'onStep'>)
  | ({
      /** Ancestral DDPM through every training timestep (Ho et al. 2020, Algorithm 2). */
      readonly method: 'ddpm';
      /** Seed of the call's `Rng`. */
      readonly seed: number;
      /** One class label per image; sets the batch size. */
      readonly labels: readonly number[];
    } & Omit<DDPMSamplerOptions, 'labels' | 'rng' | 'initialNoise' | 'onStep'>);

/**
 * What a {@link DenoiserSamplingTask} returns, as plain arrays (b images of P = h*w*c values,
 * S steps).
 */
export type DenoiserSamplingResult = {
  /** `[b, h, w, c]` row-major, roughly in [-1, 1]. */
  readonly images: Float32Array;
  /** DDIM with `returnLatents`: `[S + 1, b, h, w, c]` (block i is the input of step i, block S the images). */
  readonly latents?: Float32Array;
  /** DDIM with eta > 0: `[b, S]`, log p(latents[i+1] | latents[i]) averaged over pixels. */
  readonly logProbs?: Float32Array;
  /** DDIM: the timestep of each step, descending; DDPM: empty. */
  readonly timesteps: readonly number[];
  /** DDIM: where each step lands, -1 for the last; DDPM: empty. */
  readonly prevTimesteps: readonly number[];
};

/**
 * A core `Sampler` for class-conditional denoisers ({@link MLPDenoiser}, {@link UNet}): one
 * {@link ddimSample} or {@link ddpmSample} call per task, with classifier-free guidance, seeded
 * by `new Rng(task.seed)`, read back to Float32Arrays. The unit of work of a
 * `SamplingWorkerPool` for images (DDPO rollouts, preference-pair sampling, evaluation grids).
 *
 * `model` and `schedule` are the caller's own on the main thread; in a worker they are built
 * from `config` (the pool then overwrites the weights). `dispose()` frees a model the sampler
 * built, never one it was given. Leaves no tensor.
 */
export function createDenoiserSampler(
  config: DenoiserSamplerConfig,
  model?: Denoiser,
  schedule?: NoiseSchedule,
): Sampler<DenoiserSamplingTask, DenoiserSamplingResult> {
  const denoiser = model ?? createDenoiser(config.kind, config.denoiser);
  const noiseSchedule = schedule ?? new NoiseSchedule(config.schedule);
  return {
    namedVariables: denoiser.namedVariables(),
    sample: (task) => sampleDenoiserTask(denoiser, noiseSchedule, task),
    dispose: () => {
      if (model === undefined) denoiser.dispose();
    },
  };
}

async function sampleDenoiserTask(
  denoiser: Denoiser,
  schedule: NoiseSchedule,
  task: DenoiserSamplingTask,
): Promise<DenoiserSamplingResult> {
  const rng = new Rng(task.seed);
  if (task.method === 'ddpm') {
    const { method: _method, seed: _seed, ...options } = task;
    const images = ddpmSample(denoiser, schedule, { ...options, rng });
    try {
      return { images: (await images.data()) as Float32Array, timesteps: [], prevTimesteps: [] };
    } finally {
      images.dispose();
    }
  }
  const { method: _method, seed: _seed, ...options } = task;
  const result = ddimSample(denoiser, schedule, { ...options, rng });
  try {
    const images = (await result.images.data()) as Float32Array;
    let latents: Float32Array | undefined;
    if (result.latents !== undefined) {
      latents = new Float32Array(result.latents.length * images.length);
      for (const [i, latent] of result.latents.entries())
        latents.set((await latent.data()) as Float32Array, i * images.length);
    }
    return {
      images,
      ...(latents === undefined ? {} : { latents }),
      ...(result.logProbs === undefined ? {} : { logProbs: (await result.logProbs.data()) as Float32Array }),
      timesteps: result.timesteps,
      prevTimesteps: result.prevTimesteps,
    };
  } finally {
    tf.dispose([result.images, ...(result.latents ?? []), ...(result.logProbs === undefined ? [] : [result.logProbs])]);
  }
}

/** The spec that builds {@link createDenoiserSampler}(config) in each worker of a core `SamplingWorkerPool`. */
export function denoiserSamplerSpec(config: DenoiserSamplerConfig): SamplerSpec {
  return { module: '@dpo-ts/diffusion', export: 'createDenoiserSampler', config: config as unknown as JsonValue };
}

/**
 * Runs {@link DenoiserSamplingTask}s on `model`, on the main thread or on worker threads
 * (core's `sampleTasks` with {@link createDenoiserSampler}), and returns the results in task
 * order; they do not depend on `workers`.
 * @param workers - an integer >= 1 or `'auto'` (see core's `resolveSamplingWorkers`). @defaultValue 1
 */
export function sampleDenoiserTasks(
  model: Denoiser,
  schedule: NoiseSchedule,
  tasks: readonly DenoiserSamplingTask[],
  workers: number | 'auto' = 1,
): Promise<DenoiserSamplingResult[]> {
  const config: DenoiserSamplerConfig = { kind: model.kind, denoiser: model.config, schedule: schedule.config };
  return sampleTasks(tasks, {
    sampler: createDenoiserSampler(config, model, schedule),
    spec: denoiserSamplerSpec(config),
    workers,
  });
}
