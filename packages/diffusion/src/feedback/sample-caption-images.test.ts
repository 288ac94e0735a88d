import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { CaptionEncoder } from '../text-to-image/caption-encoder.js';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { LatentAutoencoder } from '../text-to-image/latent-autoencoder.js';
import { LatentTextDenoiser } from '../text-to-image/latent-text-denoiser.js';
import { ddimSampleFromText } from '../text-to-image/text-guidance.js';
import { sampleCaptionImages } from './sample-caption-pairs.js';

// Workers load the packages' dist/: this test needs `npm run build` first (CI builds before testing).
const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart', 'green tree']);
const encoder = new CaptionEncoder({
  vocabSize: tokenizer.vocabSize,
  maxLength: 4,
  dim: 8,
  layers: 1,
  heads: 2,
  seed: 3,
});
const autoencoder = new LatentAutoencoder({
  imageShape: [8, 8, 3],
  channels: [8, 8],
  latentChannels: 2,
  groups: 4,
  seed: 1,
});
const denoiser = new LatentTextDenoiser({
  latentShape: autoencoder.latentShape,
  textDim: 8,
  channels: 8,
  blocks: 1,
  groups: 4,
  seed: 4,
});
const schedule = new NoiseSchedule({ numTimesteps: 50 });
afterAll(() => {
  for (const model of [encoder, autoencoder, denoiser]) model.dispose();
});
const captions = ['red apple', 'blue heart', 'green tree', 'red heart', 'blue tree'];
const options = { seed: 7, numSteps: 3, guidanceScale: 2, batchSize: 2 };
const scaled = { autoencoder, scalingFactor: 0.5 };

/** The single-thread recipe, written out: one noise stream over the batches, encode, DDIM, decode. */
async function reference(): Promise<Float32Array> {
  const rng = new Rng(options.seed);
  const parts: number[] = [];
  for (let start = 0; start < captions.length; start += options.batchSize) {
    const chunk = captions.slice(start, start + options.batchSize);
    const { tokens, pooled } = encoder.encode(tokenizer.encodeBatch(chunk, 4), chunk.length);
    const { latents } = ddimSampleFromText(denoiser, schedule, {
      text: pooled,
      rng,
      numSteps: options.numSteps,
      guidanceScale: options.guidanceScale,
    });
    const images = tf.tidy(() => tf.clipByValue(autoencoder.decode(tf.div(latents, scaled.scalingFactor)), -1, 1));
    parts.push(...(await images.data()));
    tf.dispose([tokens, pooled, latents, images]);
  }
  return Float32Array.from(parts);
}

describe('sampleCaptionImages on worker threads', () => {
  it('gives the single-thread images with workers 1 and 2, in caption order', async () => {
    const model = { tokenizer, encoder, denoiser };
    const expected = await reference();
    const one = await expectNoLeak(() =>
      sampleCaptionImages(model, scaled, schedule, captions, { ...options, workers: 1 }),
    );
    const two = await expectNoLeak(() =>
      sampleCaptionImages(model, scaled, schedule, captions, { ...options, workers: 2 }),
    );
    expect(one).toHaveLength(captions.length * 8 * 8 * 3);
    expect(Array.from(one)).toEqual(Array.from(expected));
    expect(Array.from(two)).toEqual(Array.from(expected));
  });
});
