import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { TokenizedCLIP } from './feedback-checkpoint.js';
import { perImageRetrievalHits } from './retrieval-accuracy.js';

/**
 * Caption retrieval of host images by a CLIP (the held-out scorer): embeds the images (image
 * tower, unit vectors) and the T distinct `captions` (text tower), then
 * {@link perImageRetrievalHits}: image k, showing caption `captionIndices[k]` (default `k % T`),
 * is a hit when its cosine with that caption is strictly above that with each of
 * `candidates - 1` other captions drawn for image k from `Rng(mixSeeds(seed, 5, k))`.
 * @param images - `[n, h, w, c]` in [-1, 1], flattened, on the host.
 * @returns n hits, 0 or 1; every tensor made here is disposed.
 */
export async function clipRetrievalHits(
  scorer: TokenizedCLIP,
  images: Float32Array,
  captions: readonly string[],
  candidates: number,
  seed: number,
  captionIndices?: readonly number[],
): Promise<number[]> {
  const { clip, tokenizer } = scorer;
  const [h, w, c] = clip.imageEncoder.config.imageShape;
  const pixels = h * w * c;
  const count = images.length / pixels;
  if (!Number.isInteger(count))
    throw new InvalidArgumentError('images.length', `a multiple of ${pixels}`, images.length);
  requireInteger('captions.length', captions.length, { min: 1 });
  const texts = clip.embedTexts(tokenizer.encodeBatch(captions, clip.textEncoder.config.maxLength), captions.length);
  const textEmbeddings = Float32Array.from(await texts.data()); // [T, embedDim]
  texts.dispose();
  const imageEmbeddings = new Float32Array(count * clip.config.embedDim);
  for (let start = 0; start < count; start += 64) {
    const size = Math.min(64, count - start);
    const embedded = tf.tidy(() =>
      clip.embedImages(tf.tensor4d(images.subarray(start * pixels, (start + size) * pixels), [size, h, w, c])),
    );
    imageEmbeddings.set(await embedded.data(), start * clip.config.embedDim);
    embedded.dispose();
  }
  return perImageRetrievalHits(imageEmbeddings, textEmbeddings, clip.config.embedDim, candidates, seed, captionIndices);
}
