import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { ScaledAutoencoder } from '../text-to-image/autoencoder-checkpoint.js';

/**
 * The quality guard's feature space: the latent autoencoder's scaled posterior means
 * z = scalingFactor * E(x), flattened (8x8x4 = 256 features for the emoji autoencoder, each of
 * about unit variance on real emoji). The autoencoder was trained on real emoji only, by
 * reconstruction: it never saw a caption, a label or a preference, so the Frechet and kernel
 * distances measured in it are independent of the labelers and the held-out oracles (whose
 * image towers would reward images that please them). The generated images are decoded by the
 * same autoencoder, so their distance carries its reconstruction gap as an offset common to
 * every model: compare models, not the level.
 * @param images - `[count, h, w, c]` in [-1, 1], flattened, on the host.
 * @returns `[count, features]` on the host; every tensor made here is disposed.
 */
export async function autoencoderFeatures(
  autoencoder: ScaledAutoencoder,
  images: Float32Array,
  count: number,
  batchSize = 64,
): Promise<Float32Array> {
  requireInteger('count', count, { min: 1 });
  requireInteger('batchSize', batchSize, { min: 1 });
  const [h, w, c] = autoencoder.autoencoder.config.imageShape;
  const pixels = h * w * c;
  if (images.length !== count * pixels)
    throw new InvalidArgumentError('images.length', `${count * pixels} (count x ${h}x${w}x${c})`, images.length);
  const dim = autoencoder.autoencoder.latentShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const features = tf.tidy(() =>
      tf.mul(
        autoencoder.autoencoder.encodeMean(
          tf.tensor4d(images.subarray(start * pixels, (start + size) * pixels), [size, h, w, c]),
        ),
        autoencoder.scalingFactor,
      ),
    );
    out.set(await features.data(), start * dim);
    features.dispose();
  }
  return out;
}
