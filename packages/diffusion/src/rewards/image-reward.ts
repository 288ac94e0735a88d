import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';

/** One image on the host: `[height, width, channels]` values flattened, in [-1, 1]. */
export interface HostImage {
  /** The values, `[height, width, channels]` row-major, in [-1, 1]. */
  readonly data: Float32Array;
  /** Rows of pixels. */
  readonly height: number;
  /** Pixels per row. */
  readonly width: number;
  /** Values per pixel: 1 for greyscale, 3 for RGB. */
  readonly channels: number;
}

/**
 * One image, values in [-1, 1]: a square greyscale `Float32Array` (28 x 28 = 784 values for
 * MNIST), a `[h, w]` or `[h, w, c]` tensor (read synchronously, not disposed), or a
 * {@link HostImage}.
 */
export type ImageInput = Float32Array | tf.Tensor2D | tf.Tensor3D | HostImage;

/**
 * A reward on one image given its condition (the class label it was generated for): a plain,
 * deterministic function, as DDPO's rewards are (Black et al. 2023).
 */
export type ImageReward = (image: ImageInput, condition: number) => number;

/** Normalises an {@link ImageInput} to a {@link HostImage} (no copy for arrays). */
export function toHostImage(image: ImageInput): HostImage {
  if (image instanceof Float32Array) {
    const side = Math.round(Math.sqrt(image.length));
    if (side * side !== image.length || side === 0) {
      throw new InvalidArgumentError(
        'image',
        'a square greyscale image (length a perfect square) or a tensor',
        `${image.length} values`,
      );
    }
    return { data: image, height: side, width: side, channels: 1 };
  }
  if (image instanceof tf.Tensor) {
    const [height, width, channels = 1] = image.shape as number[];
    return { data: image.dataSync() as Float32Array, height: height!, width: width!, channels };
  }
  return image;
}

/**
 * Applies `reward` to every image of a batch.
 * @param images - `[batch, h, w, c]` in [-1, 1] (read once, not disposed).
 * @param conditions - one condition (class label) per image.
 * @returns the rewards, length batch.
 */
export function rewardImages(reward: ImageReward, images: tf.Tensor4D, conditions: ArrayLike<number>): Float32Array {
  const [batch, height, width, channels] = images.shape;
  if (conditions.length !== batch)
    throw new InvalidArgumentError('conditions', `one per image (${batch})`, `${conditions.length} conditions`);
  const data = images.dataSync() as Float32Array;
  const size = height * width * channels;
  return Float32Array.from({ length: batch }, (_, i) =>
    reward({ data: data.subarray(i * size, (i + 1) * size), height, width, channels }, conditions[i]!),
  );
}
