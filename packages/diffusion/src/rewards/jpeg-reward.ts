import { requireInteger } from '@dpo-ts/core';
import { toByte } from '../image-grid.js';
import { toHostImage, type ImageInput, type ImageReward } from './image-reward.js';
import { jpegEncodedLength } from './jpeg-encoder.js';

/** JPEG quality of DDPO's compressibility rewards. */
export const DDPO_JPEG_QUALITY = 95;

/**
 * Size in kilobytes (bytes / 1000, as ddpo-pytorch's `rewards.py`) of the image encoded as JPEG
 * at `quality` with `jpeg-js` (pure JS, deterministic). Values in [-1, 1] map to bytes with
 * round((v + 1) * 127.5), as DDPO's (x * 255).round() on [0, 1] images. Grey images are encoded
 * as RGB with equal channels (jpeg-js has no 1-component mode; PIL writes 1 component), so
 * absolute sizes differ from PIL's, the ordering of images does not.
 */
export function jpegSizeKilobytes(image: ImageInput, quality: number = DDPO_JPEG_QUALITY): number {
  requireInteger('quality', quality, { min: 1, max: 100 });
  const { data, height, width, channels } = toHostImage(image);
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = toByte(data[p * channels + (channels === 1 ? 0 : c)]!);
    rgba[p * 4 + 3] = 255;
  }
  return jpegEncodedLength({ data: rgba, width, height }, quality) / 1000;
}

/**
 * DDPO's compressibility reward: minus the JPEG size in kB at quality 95. Flat, simple images
 * score higher. The condition is ignored.
 * @see Black et al. 2023, "Training Diffusion Models with Reinforcement Learning", Section 6.1.
 */
export const jpegCompressibilityReward: ImageReward = (image) => -jpegSizeKilobytes(image);

/**
 * DDPO's incompressibility reward: the JPEG size in kB at quality 95. Detailed, noisy images
 * score higher. The condition is ignored.
 * @see Black et al. 2023, Section 6.1.
 */
export const jpegIncompressibilityReward: ImageReward = (image) => jpegSizeKilobytes(image);
