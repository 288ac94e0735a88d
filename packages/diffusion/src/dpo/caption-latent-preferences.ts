import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import type { CaptionPreferenceImages } from '../pairs/caption-preference-jsonl.js';
import type { ScaledAutoencoder } from '../text-to-image/autoencoder-checkpoint.js';
import type { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { imageSize } from './image-preference-dataset.js';

/**
 * Captioned preference pairs in latent space, on the host: what latent Diffusion-DPO trains on.
 * `chosen[i]` was preferred to `rejected[i]` for caption `captions[i]`.
 *
 * Latents are the autoencoder's posterior means times its scaling factor (Stable Diffusion's
 * `latent_dist.mean * scaling_factor`; the Diffusion-DPO code samples the posterior instead, but
 * with a tiny KL weight the two differ by little and the mean keeps the pairs deterministic).
 * Shapes: `chosen`/`rejected` `[count, h, w, c]` flattened; `tokenIds` `[count * maxLength]`.
 */
export interface CaptionLatentPreferences {
  /** Scaled latents of the preferred images, `[count, h, w, c]` flattened. */
  readonly chosen: Float32Array;
  /** Scaled latents of the dispreferred images, `[count, h, w, c]` flattened. */
  readonly rejected: Float32Array;
  /** The caption of each pair, `[count]`. */
  readonly captions: readonly string[];
  /** The captions' token ids, `maxLength` per caption (`CaptionTokenizer.encodeBatch`). */
  readonly tokenIds: Int32Array;
  /** Token ids per caption (padded or truncated to it) in `tokenIds`. */
  readonly maxLength: number;
  /** Number of pairs. */
  readonly count: number;
  /** `[h, w, c]` of the scaled latents. */
  readonly latentShape: ImageShape;
}

/**
 * Encodes Pick-a-Pic-style image pairs (from {@link loadCaptionPreferenceImages}, ties already
 * dropped) into {@link CaptionLatentPreferences}: z = scalingFactor * E_mean(x), in batches of
 * `batchSize` images, and tokenises the captions to `maxLength` ids. The autoencoder is frozen:
 * encoding once, before training, is what Diffusion-DPO's data loader does every step.
 *
 * @see Rombach et al. 2022, Sec. 3.1; Wallace et al. 2023, Sec. 5 (SD 1.5 latents).
 * @returns host arrays only; every tensor made here is disposed.
 */
export async function encodeCaptionPreferences(
  pairs: CaptionPreferenceImages,
  model: ScaledAutoencoder,
  tokenizer: CaptionTokenizer,
  maxLength: number,
  batchSize = 64,
): Promise<CaptionLatentPreferences> {
  requireInteger('maxLength', maxLength, { min: 1 });
  requireInteger('batchSize', batchSize, { min: 1 });
  const { autoencoder, scalingFactor } = model;
  const expected = autoencoder.config.imageShape;
  if (pairs.imageShape.join() !== expected.join()) {
    throw new InvalidArgumentError(
      'pairs.imageShape',
      `[${expected.join(', ')}] (the autoencoder's)`,
      pairs.imageShape,
    );
  }
  const [h, w, c] = expected;
  const latentSize = imageSize(autoencoder.latentShape);
  const encode = async (images: Float32Array): Promise<Float32Array> => {
    const out = new Float32Array(pairs.count * latentSize);
    for (let start = 0; start < pairs.count; start += batchSize) {
      const n = Math.min(batchSize, pairs.count - start);
      const latents = tf.tidy(() =>
        tf.mul(
          autoencoder.encodeMean(
            tf.tensor4d(images.subarray(start * h * w * c, (start + n) * h * w * c), [n, h, w, c]),
          ),
          scalingFactor,
        ),
      ); // [n, h/f, w/f, latentChannels]
      out.set(await latents.data(), start * latentSize);
      latents.dispose();
    }
    return out;
  };
  return {
    chosen: await encode(pairs.chosen),
    rejected: await encode(pairs.rejected),
    captions: [...pairs.captions],
    tokenIds: tokenizer.encodeBatch(pairs.captions, maxLength),
    maxLength,
    count: pairs.count,
    latentShape: autoencoder.latentShape,
  };
}

/**
 * Checks sizes once, at the boundary; `argument` names the dataset in messages.
 * @throws InvalidArgumentError for an empty dataset, another latent shape or caption length,
 *   or arrays of the wrong length.
 */
export function validateCaptionLatentPreferences(
  argument: string,
  dataset: CaptionLatentPreferences,
  latentShape: ImageShape,
  maxLength: number,
): void {
  if (dataset === null || typeof dataset !== 'object')
    throw new InvalidArgumentError(argument, 'a CaptionLatentPreferences', dataset);
  requireInteger(`${argument}.count`, dataset.count, { min: 1 });
  if (dataset.latentShape.join() !== latentShape.join()) {
    throw new InvalidArgumentError(
      `${argument}.latentShape`,
      `[${latentShape.join(', ')}] (the denoiser's)`,
      dataset.latentShape,
    );
  }
  if (dataset.maxLength !== maxLength)
    throw new InvalidArgumentError(`${argument}.maxLength`, `${maxLength} (the caption encoder's)`, dataset.maxLength);
  const size = dataset.count * imageSize(latentShape);
  for (const side of ['chosen', 'rejected'] as const) {
    if (dataset[side].length !== size)
      throw new InvalidArgumentError(
        `${argument}.${side}.length`,
        `${size} (count x latent size)`,
        dataset[side].length,
      );
  }
  if (dataset.tokenIds.length !== dataset.count * maxLength) {
    throw new InvalidArgumentError(
      `${argument}.tokenIds.length`,
      `${dataset.count * maxLength} (count x maxLength)`,
      dataset.tokenIds.length,
    );
  }
}

/** SHA-256 of the pairs' latents and token ids, for the reference-score cache. */
export function fingerprintCaptionLatentPreferences(dataset: CaptionLatentPreferences): string {
  const hash = createHash('sha256');
  hash.update(`${dataset.count}:${dataset.latentShape.join('x')}:${dataset.maxLength}\u0000`);
  for (const array of [dataset.chosen, dataset.rejected, dataset.tokenIds])
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return hash.digest('hex');
}
