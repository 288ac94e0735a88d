import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';

/**
 * The share of a batch of feature maps' spatial energy that lies at the finest scale, a one-number
 * spectrum of "Improving the Diffusability of Autoencoders" (Skorokhodov et al. 2025, Sec. 3,
 * who use the DCT): with up2(pool2(x)) the 2x2 block means spread back over their blocks,
 *
 *   share = sum (x - up2(pool2(x)))^2 / sum (x - mean_hw(x))^2,
 *
 * both sums over the batch, positions and channels (mean_hw: per image and channel). 0 for maps
 * constant on 2x2 blocks, 1 for maps whose every 2x2 block averages to the map's mean (a
 * one-pixel checkerboard). An autoencoder's latents with a larger share than the images pooled
 * to the latent's size carry detail the decoder needs at every latent position, which a
 * diffusion model (it settles coarse structure first) generates poorly.
 *
 * @param x - `[b, h, w, c]` with even h and w; not disposed.
 * @throws InvalidArgumentError naming `x` when h or w is odd, or when x is constant over space
 *   (no energy to share).
 * @returns a number in [0, 1]; every intermediate tensor is disposed.
 */
export function highFrequencyShare(x: tf.Tensor4D): number {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new InvalidArgumentError('x', '[b, h, w, c] with even h and w', x.shape);
  const [detail, total] = tf.tidy(() => {
    const coarse = tf.image.resizeNearestNeighbor(tf.avgPool(x, 2, 2, 'valid'), [h, w]);
    const centred = tf.sub(x, tf.mean(x, [1, 2], true));
    return [tf.sum(tf.square(tf.sub(x, coarse))).dataSync()[0]!, tf.sum(tf.square(centred)).dataSync()[0]!];
  });
  if (!(total > 0)) throw new InvalidArgumentError('x', 'feature maps that vary over space', 'constant maps');
  return detail! / total;
}
