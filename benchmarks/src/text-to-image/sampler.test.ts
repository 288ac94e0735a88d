import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '@dpo-ts/core/testing';
import {
  CaptionEncoder,
  CaptionTokenizer,
  LatentAutoencoder,
  LatentTextDenoiser,
  NoiseSchedule,
} from '@dpo-ts/diffusion';
import { useCpuBackend } from '../sentiment/test-backend.test-helper.js';
import { samplePairedImages, type SamplerOptions } from './sampler.js';

beforeAll(useCpuBackend);

const CAPTIONS = ['red apple', 'green apple', 'blue car', 'red car', 'green tree'];
const OPTIONS: SamplerOptions = { numSteps: 3, eta: 1, guidanceScale: 2, batchSize: 2 };

function tinyModel(seed: number) {
  const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
  const encoder = new CaptionEncoder({
    vocabSize: tokenizer.vocabSize,
    maxLength: 3,
    dim: 8,
    layers: 1,
    heads: 2,
    seed,
  });
  const denoiser = new LatentTextDenoiser({
    latentShape: [8, 8, 4],
    textDim: 8,
    channels: 8,
    blocks: 1,
    groups: 4,
    seed,
  });
  return { tokenizer, encoder, denoiser };
}

describe('samplePairedImages', () => {
  it('gives the same images for the same seed, other images for another seed, and leaks nothing', async () => {
    const model = tinyModel(0);
    const autoencoder = { autoencoder: new LatentAutoencoder({ channels: [8, 8, 8], groups: 4 }), scalingFactor: 0.9 };
    const schedule = new NoiseSchedule({ numTimesteps: 30 });
    await expectNoLeak(async () => {
      const first = await samplePairedImages(model, autoencoder, schedule, CAPTIONS, 7, OPTIONS);
      const again = await samplePairedImages(model, autoencoder, schedule, CAPTIONS, 7, OPTIONS);
      const other = await samplePairedImages(model, autoencoder, schedule, CAPTIONS, 8, OPTIONS);
      expect(first.length).toBe(5 * 32 * 32 * 3);
      expect(Array.from(again)).toEqual(Array.from(first));
      expect(Array.from(other)).not.toEqual(Array.from(first));
    });
    for (const network of [model.encoder, model.denoiser, autoencoder.autoencoder]) network.dispose();
  });

  it('pairs the noise: a model whose denoiser predicts zero noise turns the same seed into the same images whatever its caption encoder', async () => {
    // With eps = 0 every DDIM step is a fixed linear map of x_t plus sigma * noise: the image is a
    // function of the noise stream alone. Two models with different text weights (seeds 0 and 1)
    // but a zeroed output layer must then give identical images for the same seed: the noise is
    // shared, not drawn per model.
    const schedule = new NoiseSchedule({ numTimesteps: 30 });
    const autoencoder = { autoencoder: new LatentAutoencoder({ channels: [8, 8, 8], groups: 4 }), scalingFactor: 0.9 };
    const models = [tinyModel(0), tinyModel(1)];
    for (const model of models)
      for (const [name, variable] of model.denoiser.namedVariables())
        if (name.startsWith('out.conv')) variable.assign(tf.zerosLike(variable));
    const [a, b] = await Promise.all(
      models.map((model) => samplePairedImages(model, autoencoder, schedule, CAPTIONS, 3, OPTIONS)),
    );
    expect(Array.from(b!)).toEqual(Array.from(a!));
    for (const model of models) {
      model.encoder.dispose();
      model.denoiser.dispose();
    }
    autoencoder.autoencoder.dispose();
  });
});
