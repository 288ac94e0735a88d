import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';

/**
 * Integer diffusion timesteps, one per example, in [0, T): a host array (what trainers draw
 * with an {@link Rng}) or a `[batch]` tensor.
 */
export type TimestepInput = tf.Tensor1D | ArrayLike<number>;

/**
 * Class labels, one per example: 0..numClasses-1, or the denoiser's `nullClass` for the
 * unconditional (classifier-free-guidance) branch. A host array or an int32 `[batch]` tensor.
 */
export type LabelInput = tf.Tensor1D | ArrayLike<number>;

/** Timesteps as a float32 `[batch]` tensor (the model embeds t as a real number). Caller disposes. */
export function toTimestepTensor(timesteps: TimestepInput): tf.Tensor1D {
  if (timesteps instanceof tf.Tensor) return tf.cast(timesteps, 'float32');
  return tf.tensor1d(Float32Array.from(timesteps), 'float32');
}

/**
 * Labels as an int32 `[batch]` tensor, checked against `[0, numLabels)` when host values are
 * given (tensors are trusted: reading them back would stall the pipeline). Caller disposes.
 */
export function toLabelTensor(labels: LabelInput, numLabels: number): tf.Tensor1D {
  if (labels instanceof tf.Tensor) return tf.cast(labels, 'int32');
  const values = Int32Array.from(labels);
  values.forEach((label, i) => {
    if (!Number.isInteger(labels[i]) || label < 0 || label >= numLabels) {
      throw new InvalidArgumentError(`labels[${i}]`, `an integer in [0, ${numLabels})`, labels[i]);
    }
  });
  return tf.tensor1d(values, 'int32');
}

/** Number of examples in a host array or `[batch]` tensor. */
export function batchSizeOf(values: TimestepInput | LabelInput): number {
  return values instanceof tf.Tensor ? values.shape[0] : values.length;
}

/**
 * Standard normal noise drawn on the host from a core {@link Rng}, so runs are reproducible
 * bit for bit on every backend and resumable from the generator's state (tfjs's own seeded
 * ops also treat seed 0 as "unseeded").
 *
 * @returns a new float32 tensor of `shape`; the caller disposes it.
 */
export function standardNormal(shape: readonly number[], rng: Rng): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return tf.tensor(values, shape.slice(), 'float32');
}
