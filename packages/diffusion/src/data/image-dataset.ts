import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';

/**
 * Labelled images held on the host: `images` is `[count, height, width, channels]` (NHWC)
 * flattened, float32 in [-1, 1] (0 -> -1, 255 -> 1); `labels` holds class ids in
 * [0, numClasses).
 */
export interface ImageDataset {
  /** Every image, `[count, height, width, channels]` row-major, float32 in [-1, 1]. */
  readonly images: Float32Array;
  /** Class id of each image, `[count]`, in [0, numClasses). */
  readonly labels: Int32Array;
  /** Number of images. */
  readonly count: number;
  /** `[height, width, channels]` of every image. */
  readonly imageShape: ImageShape;
  /** Number of classes (10 for MNIST and Fashion-MNIST). */
  readonly numClasses: number;
  /** Name of each class, index = label. */
  readonly classNames: readonly string[];
}

/** A training split and a held-out split that shares no image with it. */
export interface DatasetSplits {
  /** Images to train on. */
  readonly train: ImageDataset;
  /** Images kept out of training, for evaluation and held-out oracles. */
  readonly heldOut: ImageDataset;
}

/** The examples at `indices`, copied into a new dataset. */
export function subsetDataset(dataset: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = dataset.imageShape[0] * dataset.imageShape[1] * dataset.imageShape[2];
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) {
      throw new InvalidArgumentError(`indices[${i}]`, `an integer in [0, ${dataset.count})`, index);
    }
    images.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index]!;
  }
  return { ...dataset, images, labels, count: indices.length };
}

/**
 * A batch as tensors: images `[indices.length, h, w, c]` float32 in [-1, 1] and labels on the
 * host (what {@link denoisingErrors} and the samplers take).
 * @returns `images` is a new tensor; the caller disposes it.
 */
export function datasetBatch(
  dataset: ImageDataset,
  indices: ArrayLike<number>,
): {
  /** `[indices.length, h, w, c]` float32 in [-1, 1]; a new tensor the caller disposes. */
  images: tf.Tensor4D;
  /** Class ids, `[indices.length]`, on the host. */
  labels: Int32Array;
} {
  const subset = subsetDataset(dataset, indices);
  return { images: tf.tensor4d(subset.images, [subset.count, ...dataset.imageShape]), labels: subset.labels };
}

/** One image, `[h * w * c]` view (no copy) into the dataset's array. */
export function datasetImage(dataset: ImageDataset, index: number): Float32Array {
  const size = dataset.imageShape[0] * dataset.imageShape[1] * dataset.imageShape[2];
  return dataset.images.subarray(index * size, (index + 1) * size);
}
