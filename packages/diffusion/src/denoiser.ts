import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireNumber, type Checkpointable } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';

/** The denoiser architectures this package implements. */
export type DenoiserKind = 'mlp' | 'unet';

/** Image shape `[height, width, channels]` (NHWC without the batch). */
export type ImageShape = readonly [height: number, width: number, channels: number];

/**
 * An epsilon-prediction network eps_theta(x_t, t, c): given noisy images, their timesteps and
 * class labels, it predicts the noise that was added (Ho et al. 2020, Eq. 14). Class labels run
 * 0..numClasses-1; `nullClass` (= numClasses) is the learned "no class" embedding used for the
 * unconditional branch of classifier-free guidance (Ho & Salimans 2022).
 *
 * Tensors are NHWC float32; images live in [-1, 1]. Implemented by {@link MLPDenoiser} and
 * {@link UNet}; saved and loaded by {@link saveDenoiser} / {@link loadDenoiser}.
 */
export interface Denoiser extends Checkpointable {
  /** Architecture, as written to `config.json`. */
  readonly kind: DenoiserKind;
  /** The resolved, JSON-serialisable configuration the model was built from. */
  readonly config: DenoiserConfigBase;
  /** `[height, width, channels]` of the images it denoises. */
  readonly imageShape: ImageShape;
  /** Number of real classes; labels are 0..numClasses-1. */
  readonly numClasses: number;
  /** The label of the unconditional branch: `numClasses`. */
  readonly nullClass: number;
  /**
   * Predicts the noise: `[batch, h, w, c]` noisy images, `[batch]` float32 timesteps in [0, T),
   * `[batch]` int32 labels in [0, numClasses] -> `[batch, h, w, c]`.
   * Differentiable with respect to {@link Denoiser.trainableVariables}. Caller disposes.
   */
  predictNoise(noisyImages: tf.Tensor4D, timesteps: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor4D;
  /** Every weight, for the optimiser. */
  trainableVariables(): tf.Variable[];
  /** Number of scalar weights. */
  parameterCount(): number;
  /** Disposes every weight. The model is unusable afterwards. */
  dispose(): void;
}

/** Fields every denoiser configuration has. */
export interface DenoiserConfigBase {
  /** `[height, width, channels]`. @defaultValue [28, 28, 1] (MNIST) */
  readonly imageShape: ImageShape;
  /** Number of real classes (0 for an unconditional model). @defaultValue 10 */
  readonly numClasses: number;
  /**
   * Probability with which a trainer replaces a label by the null class while training, so
   * one network learns both the conditional and the unconditional noise prediction (Ho &
   * Salimans 2022 use 0.1 or 0.2). Applied with {@link dropClassLabels}.
   * @defaultValue 0.1
   */
  readonly cfgDropProb: number;
  /** Seed of the weight initialisation. @defaultValue 0 */
  readonly seed: number;
}

/** Validates the shared fields; `prefix` names the config in messages (`unet`). */
export function validateDenoiserBase(prefix: string, config: DenoiserConfigBase): void {
  const shape: unknown = config.imageShape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidArgumentError(`${prefix}.imageShape`, '[height, width, channels] of positive integers', shape);
  }
  if (!Number.isInteger(config.numClasses) || config.numClasses < 0) {
    throw new InvalidArgumentError(`${prefix}.numClasses`, 'an integer >= 0', config.numClasses);
  }
  requireNumber(`${prefix}.cfgDropProb`, config.cfgDropProb, { min: 0, max: 1 });
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new InvalidArgumentError(`${prefix}.seed`, 'an unsigned 32-bit integer', config.seed);
  }
}

/**
 * Classifier-free-guidance label dropout: each label becomes `nullClass` with probability
 * `probability`, drawn from `rng` (one uniform per label, in order, so runs are reproducible
 * and resumable).
 *
 * @see Ho & Salimans 2022, "Classifier-Free Diffusion Guidance", Algorithm 1.
 * @returns a new Int32Array.
 */
export function dropClassLabels(
  labels: ArrayLike<number>,
  probability: number,
  nullClass: number,
  rng: Rng,
): Int32Array {
  requireNumber('probability', probability, { min: 0, max: 1 });
  return Int32Array.from(labels, (label) => (rng.uniform() < probability ? nullClass : label));
}

/** Sum of the sizes of `variables`. */
export function countParameters(variables: Iterable<tf.Variable>): number {
  let total = 0;
  for (const v of variables) total += v.size;
  return total;
}
