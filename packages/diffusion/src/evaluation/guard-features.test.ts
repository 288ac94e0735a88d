import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LatentAutoencoder } from '../text-to-image/latent-autoencoder.js';
import { autoencoderFeatures } from './guard-features.js';

const autoencoder = {
  autoencoder: new LatentAutoencoder({
    imageShape: [8, 8, 3],
    channels: [8, 8],
    latentChannels: 2,
    groups: 4,
    seed: 2,
  }),
  scalingFactor: 0.7,
};
afterAll(() => autoencoder.autoencoder.dispose());

describe('autoencoderFeatures', () => {
  it('is the scaled posterior mean, flattened, whatever the batch size', async () => {
    const rng = new Rng(1);
    const images = Float32Array.from({ length: 5 * 8 * 8 * 3 }, () => 2 * rng.uniform() - 1);
    // The same computation in one call on all five images.
    const expected = tf.tidy(() =>
      tf.mul(autoencoder.autoencoder.encodeMean(tf.tensor4d(images, [5, 8, 8, 3])), 0.7).dataSync(),
    );
    await expectNoLeak(async () => {
      const features = await autoencoderFeatures(autoencoder, images, 5, 2);
      expect(features.length).toBe(5 * 4 * 4 * 2);
      for (let i = 0; i < features.length; i++) expect(features[i]).toBeCloseTo(expected[i]!, 5);
    });
  });

  it('names images.length when it is not count images', async () => {
    await expect(autoencoderFeatures(autoencoder, new Float32Array(10), 1)).rejects.toThrow(/images\.length/);
  });
});
