import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { mixSeeds } from '@dpo-ts/core/training';
import type { SamplingWorkerPool } from '@dpo-ts/core/parallel';
import {
  rewardImages,
  sampleDenoiserTasks,
  type DenoiserSamplingResult,
  type DenoiserSamplingTask,
  type Denoiser,
  type ImageReward,
  type ImageShape,
  type NoiseSchedule,
} from '@dpo-ts/diffusion';

/** Options of {@link collectDDPORollout}. */
export interface DDPORolloutOptions {
  /** One trajectory per entry, sampled for this class label. */
  readonly conditions: readonly number[];
  /** Scores each final image for its condition (higher is better), one call per image. */
  readonly reward: ImageReward;
  /** Sampler call b draws its noise from `Rng(mixSeeds(seed, b))`. */
  readonly seed: number;
  /** DDIM steps per trajectory (S). */
  readonly numSteps: number;
  /** > 0: every step needs a log-probability. */
  readonly eta: number;
  /** Classifier-free guidance scale w (1: conditional prediction only). */
  readonly guidanceScale: number;
  /** Trajectories per sampler call. */
  readonly sampleBatchSize: number;
  /**
   * Worker threads running the sampler calls at once (diffusion's `sampleDenoiserTasks`): an
   * integer >= 1 or `'auto'`. Call b is seeded `mixSeeds(seed, b)` wherever it runs, so the
   * rollout does not depend on the count. A pool started for this rollout and closed after it.
   * @defaultValue 1 (the main thread)
   */
  readonly workers?: number | 'auto';
  /**
   * An open sampling pool of this model (built with `denoiserSamplerSpec`), kept by the caller
   * across updates so threads start once; takes precedence over `workers`.
   */
  readonly pool?: SamplingWorkerPool<DenoiserSamplingTask, DenoiserSamplingResult>;
}

/**
 * Sampled denoising trajectories on the host, what a DDPO update trains on. With N trajectories
 * of S steps and P = h*w*c values per image:
 * `latents` is `[N, S + 1, P]` (latents[n, i] is the input of step i, latents[n, S] the image),
 * `logProbs` `[N, S]` (log p(latents[n, i+1] | latents[n, i]) at sampling time, mean over pixels).
 */
export interface DDPORollout {
  /** Trajectories (N). */
  readonly count: number;
  /** Denoising steps per trajectory (S). */
  readonly numSteps: number;
  /** `[h, w, c]` of every latent (P = h*w*c values). */
  readonly imageShape: ImageShape;
  /** Class label each trajectory was sampled for, `[N]`. */
  readonly conditions: Int32Array;
  /** Every latent of every trajectory, `[N, S + 1, P]`: latents[n, i] is step i's input, latents[n, S] the image. */
  readonly latents: Float32Array;
  /** log p(latents[n, i+1] | latents[n, i]) at sampling time, mean over pixels, `[N, S]`. */
  readonly logProbs: Float32Array;
  /** Timestep of each step, descending (the same for every trajectory). */
  readonly timesteps: readonly number[];
  /** Where each step lands; -1 for the last. */
  readonly prevTimesteps: readonly number[];
  /** Reward of each final image. */
  readonly rewards: Float32Array;
}

/**
 * DDPO's sampling phase: DDIM with eta > 0 (a stochastic policy), keeping every latent and each
 * step's log-probability, then the reward of every final image (Black et al. 2023, Section 4.2;
 * ddpo-pytorch's `pipeline_with_logprob`). The sampler calls run on the main thread or, with
 * `workers` or `pool`, on worker threads, with the same trajectories. No tensor outlives a
 * sampler call.
 */
export async function collectDDPORollout(
  model: Denoiser,
  schedule: NoiseSchedule,
  options: DDPORolloutOptions,
): Promise<DDPORollout> {
  const { conditions } = options;
  if (!Array.isArray(conditions) || conditions.length === 0)
    throw new InvalidArgumentError('options.conditions', 'a non-empty array of class labels', conditions);
  const batchSize = requireInteger('options.sampleBatchSize', options.sampleBatchSize, { min: 1 });
  const numSteps = requireInteger('options.numSteps', options.numSteps, { min: 1 });
  const size = model.imageShape[0] * model.imageShape[1] * model.imageShape[2];
  const n = conditions.length;
  const latents = new Float32Array(n * (numSteps + 1) * size);
  const logProbs = new Float32Array(n * numSteps);
  const rewards = new Float32Array(n);
  const tasks: DenoiserSamplingTask[] = [];
  for (let start = 0, call = 0; start < n; start += batchSize, call++) {
    tasks.push({
      method: 'ddim',
      labels: conditions.slice(start, start + batchSize),
      seed: mixSeeds(options.seed, call),
      numSteps,
      eta: options.eta,
      guidanceScale: options.guidanceScale,
      returnLatents: true,
    });
  }
  const results = options.pool
    ? await options.pool.sample(tasks)
    : await sampleDenoiserTasks(model, schedule, tasks, options.workers);
  const [h, w, c] = model.imageShape;
  results.forEach((result, call) => {
    const start = call * batchSize;
    const labels = tasks[call]!.labels;
    const b = labels.length;
    // latents arrive as (S + 1) blocks of [b * P]; the rollout keeps [n, S + 1, P].
    for (let i = 0; i < b; i++)
      for (let step = 0; step <= numSteps; step++) {
        const from = (step * b + i) * size;
        latents.set(result.latents!.subarray(from, from + size), ((start + i) * (numSteps + 1) + step) * size);
      }
    logProbs.set(result.logProbs!, start * numSteps); // [b, S] row-major
    const images = tf.tensor4d(result.images, [b, h, w, c]);
    try {
      rewards.set(rewardImages(options.reward, images, labels), start);
    } finally {
      images.dispose();
    }
  });
  const { timesteps, prevTimesteps } = results[0]!;
  return {
    count: n,
    numSteps,
    imageShape: model.imageShape,
    conditions: Int32Array.from(conditions),
    latents,
    logProbs,
    timesteps,
    prevTimesteps,
    rewards,
  };
}
