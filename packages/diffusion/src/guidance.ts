import * as tf from '@tensorflow/tfjs-core';
import { requireNumber } from '@dpo-ts/core';
import type { Denoiser } from './denoiser.js';

/**
 * Classifier-free-guided noise prediction:
 * eps = eps_theta(x_t, t, null) + w (eps_theta(x_t, t, c) - eps_theta(x_t, t, null)).
 *
 * w = 1 is the plain conditional prediction (one forward pass); w = 0 the unconditional one;
 * w > 1 strengthens the condition. Ho & Salimans write (1 + w') eps_c - w' eps_u, so their
 * w' is our w - 1 (diffusers and DDPO use our convention: guidance_scale 5 = w 5). Otherwise the
 * conditional and unconditional branches run as one batch of 2 * batch.
 *
 * @see Ho & Salimans 2022, "Classifier-Free Diffusion Guidance", Eq. 6.
 * @param noisyImages - `[batch, h, w, c]`; @param timesteps - `[batch]` float32;
 * @param labels - `[batch]` int32 in [0, numClasses].
 * @returns `[batch, h, w, c]`, a new tensor (differentiable); the caller disposes it.
 */
export function guidedNoise(
  denoiser: Denoiser,
  noisyImages: tf.Tensor4D,
  timesteps: tf.Tensor1D,
  labels: tf.Tensor1D,
  guidanceScale: number,
): tf.Tensor4D {
  requireNumber('guidanceScale', guidanceScale);
  return tf.tidy(() => {
    const batch = noisyImages.shape[0];
    if (guidanceScale === 1) return denoiser.predictNoise(noisyImages, timesteps, labels);
    const nullLabels = tf.fill([batch], denoiser.nullClass, 'int32') as tf.Tensor1D;
    if (guidanceScale === 0) return denoiser.predictNoise(noisyImages, timesteps, nullLabels);
    const both = denoiser.predictNoise(
      tf.concat([noisyImages, noisyImages], 0),
      tf.concat([timesteps, timesteps], 0),
      tf.concat([tf.cast(labels, 'int32'), nullLabels], 0),
    ); // [2b, h, w, c]: conditional first
    const [conditional, unconditional] = tf.split(both, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    return tf.add(unconditional, tf.mul(guidanceScale, tf.sub(conditional, unconditional)));
  });
}
