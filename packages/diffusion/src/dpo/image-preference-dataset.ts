import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';

/**
 * Preference pairs of images held on the host, one condition per pair: `chosen[i]` was preferred
 * to `rejected[i]` for class label `labels[i]`. Images are NHWC `[count, h, w, c]` flattened,
 * float32 in [-1, 1] (what {@link loadImagePreferenceJsonl} and {@link samplePreferencePairs}
 * produce).
 */
export interface ImagePreferenceDataset {
  /** `[count, h, w, c]` flattened. */
  readonly chosen: Float32Array;
  /** `[count, h, w, c]` flattened. */
  readonly rejected: Float32Array;
  /** Condition (class label) of each pair, integers >= 0. */
  readonly labels: Int32Array;
  /** Number of pairs. */
  readonly count: number;
  /** `[h, w, c]` of every image. */
  readonly imageShape: ImageShape;
}

/** Values per image of `shape`. */
export function imageSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * Checks sizes and labels of a dataset once, at the boundary; `argument` names it in messages
 * (`options.trainDataset.labels must have length 12 (one per pair): got 11`).
 * @throws InvalidArgumentError for an empty dataset, mismatched lengths, or a label that is not
 *   an integer in [0, numLabels).
 */
export function validateImagePreferenceDataset(
  argument: string,
  dataset: ImagePreferenceDataset,
  imageShape: ImageShape,
  numLabels: number,
): void {
  if (dataset === null || typeof dataset !== 'object')
    throw new InvalidArgumentError(argument, 'an ImagePreferenceDataset', dataset);
  if (!Number.isInteger(dataset.count) || dataset.count < 1)
    throw new InvalidArgumentError(`${argument}.count`, 'an integer >= 1', dataset.count);
  if (dataset.imageShape.join() !== imageShape.join()) {
    throw new InvalidArgumentError(
      `${argument}.imageShape`,
      `[${imageShape.join(', ')}] (the denoiser's)`,
      `[${dataset.imageShape.join(', ')}]`,
    );
  }
  const size = dataset.count * imageSize(imageShape);
  for (const side of ['chosen', 'rejected'] as const) {
    if (!(dataset[side] instanceof Float32Array) || dataset[side].length !== size) {
      throw new InvalidArgumentError(
        `${argument}.${side}`,
        `a Float32Array of ${size} values (${dataset.count} images)`,
        dataset[side]?.length,
      );
    }
  }
  if (dataset.labels.length !== dataset.count) {
    throw new InvalidArgumentError(
      `${argument}.labels`,
      `length ${dataset.count} (one per pair)`,
      dataset.labels.length,
    );
  }
  dataset.labels.forEach((label, i) => {
    if (label < 0 || label >= numLabels)
      throw new InvalidArgumentError(`${argument}.labels[${i}]`, `an integer in [0, ${numLabels})`, label);
  });
}

/** The pairs at `indices`, copied into a new dataset (train / eval splits). */
export function subsetImagePreferences(
  dataset: ImagePreferenceDataset,
  indices: readonly number[],
): ImagePreferenceDataset {
  const size = imageSize(dataset.imageShape);
  const chosen = new Float32Array(indices.length * size);
  const rejected = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, i) => {
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count)
      throw new InvalidArgumentError(`indices[${i}]`, `an integer in [0, ${dataset.count})`, index);
    chosen.set(dataset.chosen.subarray(index * size, (index + 1) * size), i * size);
    rejected.set(dataset.rejected.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index]!;
  });
  return { chosen, rejected, labels, count: indices.length, imageShape: dataset.imageShape };
}

/**
 * SHA-256 (hex) of a dataset's shape, labels and image bytes: part of the reference-score cache
 * key, so a cache computed for other pairs is never reused.
 */
export function fingerprintImagePreferences(dataset: ImagePreferenceDataset): string {
  const hash = createHash('sha256');
  hash.update(`image-preferences\u0000${dataset.count}\u0000${dataset.imageShape.join('x')}\u0000`);
  for (const array of [dataset.labels, dataset.chosen, dataset.rejected])
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return hash.digest('hex');
}
