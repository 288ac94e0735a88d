import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '@dpo-ts/core';
import type { Denoiser } from './denoiser.js';
import type { NoiseSchedule } from './noise-schedule.js';
import { batchSizeOf, toLabelTensor, toTimestepTensor, type LabelInput, type TimestepInput } from './inputs.js';

/**
 * Samples the forward process in closed form: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
 *
 * @see Ho et al. 2020, Eq. 4.
 * @param cleanImages - x_0, `[batch, h, w, c]` in [-1, 1].
 * @param timesteps - `[batch]` integers in [0, T).
 * @param noise - eps, same shape as `cleanImages`, standard normal.
 * @returns x_t, a new `[batch, h, w, c]` tensor; the caller disposes it.
 */
export function addNoise(
  schedule: NoiseSchedule,
  cleanImages: tf.Tensor4D,
  timesteps: TimestepInput,
  noise: tf.Tensor4D,
): tf.Tensor4D {
  assertShape('noise', noise.shape, cleanImages.shape);
  assertShape('timesteps', [batchSizeOf(timesteps)], [cleanImages.shape[0]]);
  return tf.tidy(() =>
    tf.add(
      tf.mul(schedule.coefficient('sqrtAlphasCumprod', timesteps), cleanImages),
      tf.mul(schedule.coefficient('sqrtOneMinusAlphasCumprod', timesteps), noise),
    ),
  );
}

/**
 * Per-example denoising error: the mean over pixels of (eps - eps_theta(x_t, t, c))^2 with
 * x_t = {@link addNoise}(x_0, t, eps). Its batch mean is Ho et al.'s L_simple (Eq. 14); minus
 * it (scaled) is the ELBO surrogate score that Diffusion-DPO compares between policy and
 * reference (see core's `denoisingScore`). Pass the same (t, eps) to policy and reference, and
 * to the chosen and rejected image of a pair.
 *
 * Differentiable with respect to the denoiser's variables. Labels are used as given: apply
 * {@link dropClassLabels} first when training with classifier-free-guidance dropout.
 *
 * @see Ho et al. 2020, Eq. 14; Wallace et al. 2023 (Diffusion-DPO), Eq. 14.
 * @param cleanImages - x_0, `[batch, h, w, c]` in [-1, 1].
 * @param timesteps - `[batch]` integers in [0, T).
 * @param noise - eps, `[batch, h, w, c]`.
 * @param labels - `[batch]` in [0, numClasses] (numClasses = the null class).
 * @returns `[batch]`, a new tensor; the caller disposes it.
 */
export function denoisingErrors(
  denoiser: Denoiser,
  schedule: NoiseSchedule,
  cleanImages: tf.Tensor4D,
  timesteps: TimestepInput,
  noise: tf.Tensor4D,
  labels: LabelInput,
): tf.Tensor1D {
  const [height, width, channels] = denoiser.imageShape;
  assertShape('cleanImages', cleanImages.shape, [null, height, width, channels]);
  assertShape('labels', [batchSizeOf(labels)], [cleanImages.shape[0]]);
  return tf.tidy(() => {
    const noisy = addNoise(schedule, cleanImages, timesteps, noise);
    const predicted = denoiser.predictNoise(
      noisy,
      toTimestepTensor(timesteps),
      toLabelTensor(labels, denoiser.numClasses + 1),
    );
    return tf.mean(tf.squaredDifference(noise, predicted), [1, 2, 3]) as tf.Tensor1D; // [b, h, w, c] -> [b]
  });
}
