import { requireInteger } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import type { ImageDataset } from '../data/image-dataset.js';
import { drawExample } from '../training/example-draws.js';

/** A batch of the plain denoising objective: images, their conditioning and draws, on the host. */
export interface DenoisingBatch {
  /** Examples in the batch (n). */
  readonly numExamples: number;
  /** `[h, w, c]` of every image and noise sample. */
  readonly imageShape: ImageShape;
  /** x_0, `[n, h, w, c]` flattened, in [-1, 1]. */
  readonly images: Float32Array;
  /** What the denoiser is conditioned on: the label, or the null class where dropped. */
  readonly labels: Int32Array;
  /** t per example. */
  readonly timesteps: Int32Array;
  /** eps per example, `[n, h, w, c]` flattened. */
  readonly noise: Float32Array;
}

/** How the draws of {@link buildDenoisingBatch} are made (see {@link drawExample}). */
export interface DenoisingDrawOptions {
  /** Run seed; each example's draws come from the stream of (seed, round, index). */
  readonly seed: number;
  /** 0: fixed per example (evaluation); epoch + 1: fresh every epoch (training). */
  readonly round: number;
  /** T: timesteps are drawn uniformly from 0..T-1. */
  readonly numTimesteps: number;
  /** Probability that an example's label is replaced by `nullClass` (classifier-free-guidance dropout), in [0, 1]. */
  readonly cfgDropProb: number;
  /** The label of the unconditional class that dropped examples get (the denoiser's `numClasses`). */
  readonly nullClass: number;
}

/** The examples at `indices` with their per-example draws. */
export function buildDenoisingBatch(
  dataset: ImageDataset,
  indices: readonly number[],
  draws: DenoisingDrawOptions,
): DenoisingBatch {
  requireInteger('indices.length', indices.length, { min: 1 });
  const size = dataset.imageShape[0] * dataset.imageShape[1] * dataset.imageShape[2];
  const n = indices.length;
  const images = new Float32Array(n * size);
  const noise = new Float32Array(n * size);
  const labels = new Int32Array(n);
  const timesteps = new Int32Array(n);
  indices.forEach((index, i) => {
    requireInteger(`indices[${i}]`, index, { min: 0, max: dataset.count - 1 });
    images.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    const draw = drawExample(
      draws.seed,
      draws.round,
      index,
      draws.numTimesteps,
      draws.cfgDropProb,
      noise.subarray(i * size, (i + 1) * size),
    );
    timesteps[i] = draw.timestep;
    labels[i] = draw.dropLabel ? draws.nullClass : dataset.labels[index]!;
  });
  return { numExamples: n, imageShape: dataset.imageShape, images, labels, timesteps, noise };
}
