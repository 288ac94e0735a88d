import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { clipRetrievalHits } from './clip-retrieval.js';
import { EmojiCLIP } from './emoji-clip.js';
import { perImageRetrievalHits } from './retrieval-accuracy.js';

const CAPTIONS = ['red square', 'green square', 'blue square', 'white square', 'black dot'];
const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
const clip = new EmojiCLIP({
  text: { vocabSize: tokenizer.vocabSize, maxLength: 4, dim: 8, layers: 1, heads: 2 },
  image: { imageShape: [8, 8, 3], channels: [8, 8], groups: 4 },
  embedDim: 8,
  seed: 3,
});
afterAll(() => clip.dispose());

describe('clipRetrievalHits', () => {
  it("is perImageRetrievalHits of the CLIP's own embeddings, batch by batch, and leaks nothing", async () => {
    const rng = new Rng(2);
    const count = 70; // two image batches of 64
    const images = Float32Array.from({ length: count * 192 }, () => 2 * rng.uniform() - 1);
    const [imageEmbeddings, textEmbeddings] = tf.tidy(() => [
      clip.embedImages(tf.tensor4d(images, [count, 8, 8, 3])).dataSync() as Float32Array,
      clip.embedTexts(tokenizer.encodeBatch(CAPTIONS, 4), CAPTIONS.length).dataSync() as Float32Array,
    ]);
    const expected = perImageRetrievalHits(imageEmbeddings!, textEmbeddings!, 8, 3, 5);
    await expectNoLeak(async () => {
      expect(await clipRetrievalHits({ clip, tokenizer }, images, CAPTIONS, 3, 5)).toEqual(expected);
    });
    expect(expected.some((hit) => hit === 1) && expected.some((hit) => hit === 0)).toBe(true);
  });
});
