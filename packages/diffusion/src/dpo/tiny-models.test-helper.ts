import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { MLPDenoiser } from '../mlp-denoiser.js';
import { NoiseSchedule } from '../noise-schedule.js';
import type { Denoiser } from '../denoiser.js';
import type { ImagePreferenceDataset } from './image-preference-dataset.js';

/** A 4x4 greyscale, 3-class MLP denoiser with non-zero output (zeroInitOutput off), ~1k weights. */
export function tinyDenoiser(seed = 0, cfgDropProb = 0): MLPDenoiser {
  return new MLPDenoiser({
    imageShape: [4, 4, 1],
    numClasses: 3,
    hiddenSize: 16,
    numLayers: 1,
    timeEmbeddingDim: 8,
    zeroInitOutput: false,
    cfgDropProb,
    seed,
  });
}

/** A 100-step linear schedule. */
export function tinySchedule(): NoiseSchedule {
  return new NoiseSchedule({ numTimesteps: 100 });
}

/** `count` random 4x4 pairs with labels cycling 0, 1, 2. */
export function randomPairs(count: number, seed: number): ImagePreferenceDataset {
  const rng = new Rng(seed);
  const image = (): number => rng.uniform() * 2 - 1;
  return {
    chosen: Float32Array.from({ length: count * 16 }, image),
    rejected: Float32Array.from({ length: count * 16 }, image),
    labels: Int32Array.from({ length: count }, (_, i) => i % 3),
    count,
    imageShape: [4, 4, 1],
  };
}

/** Adds N(0, scale^2) noise to every weight, so policy and reference differ. */
export function perturbWeights(model: Denoiser, seed: number, scale = 0.05): void {
  const rng = new Rng(seed);
  tf.tidy(() => {
    for (const variable of model.namedVariables().values()) {
      const noise = Float32Array.from({ length: variable.size }, () => rng.normal() * scale);
      variable.assign(tf.add(variable, tf.tensor(noise, variable.shape)));
    }
  });
}

/**
 * The denoising error of one image computed independently of `denoisingErrors`: x_t built on
 * the host in float64 from the schedule's abar, eps_theta from `predictNoise`, the mean of
 * squares on the host.
 */
export function independentError(
  model: Denoiser,
  schedule: NoiseSchedule,
  image: Float32Array,
  noise: Float32Array,
  timestep: number,
  label: number,
): number {
  const abar = schedule.alphasCumprod[timestep]!;
  const noisy = Float32Array.from(image, (x0, p) => Math.sqrt(abar) * x0 + Math.sqrt(1 - abar) * noise[p]!);
  const [h, w, c] = model.imageShape;
  const predicted = tf.tidy(() =>
    model
      .predictNoise(tf.tensor4d(noisy, [1, h, w, c]), tf.tensor1d([timestep]), tf.tensor1d([label], 'int32'))
      .dataSync(),
  );
  let sum = 0;
  for (let p = 0; p < noise.length; p++) sum += (noise[p]! - predicted[p]!) ** 2;
  return sum / noise.length;
}
