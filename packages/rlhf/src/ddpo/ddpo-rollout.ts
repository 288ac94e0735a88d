import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, mixSeeds, Rng, requireInteger } from '@dpo-ts/core';
import {
  ddimSample,
  rewardImages,
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
 * ddpo-pytorch's `pipeline_with_logprob`). No tensor outlives a sampler call.
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
  let timesteps: readonly number[] = [];
  let prevTimesteps: readonly number[] = [];
  for (let start = 0, call = 0; start < n; start += batchSize, call++) {
    const labels = conditions.slice(start, start + batchSize);
    const result = ddimSample(model, schedule, {
      labels,
      rng: new Rng(mixSeeds(options.seed, call)),
      numSteps,
      eta: options.eta,
      guidanceScale: options.guidanceScale,
      returnLatents: true,
    });
    try {
      timesteps = result.timesteps;
      prevTimesteps = result.prevTimesteps;
      const steps = await Promise.all(result.latents!.map((latent) => latent.data() as Promise<Float32Array>)); // (S + 1) x [b * P]
      labels.forEach((_, i) => {
        steps.forEach((step, s) => {
          latents.set(step.subarray(i * size, (i + 1) * size), ((start + i) * (numSteps + 1) + s) * size);
        });
      });
      logProbs.set((await result.logProbs!.data()) as Float32Array, start * numSteps); // [b, S] row-major
      rewards.set(rewardImages(options.reward, result.images, labels), start);
    } finally {
      tf.dispose([result.images, ...(result.latents ?? []), ...(result.logProbs ? [result.logProbs] : [])]);
    }
  }
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
