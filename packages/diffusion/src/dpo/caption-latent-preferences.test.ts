import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@dpo-ts/core/testing';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { LatentAutoencoder } from '../text-to-image/latent-autoencoder.js';
import {
  encodeCaptionPreferences,
  fingerprintCaptionLatentPreferences,
  validateCaptionLatentPreferences,
} from './caption-latent-preferences.js';

describe('encodeCaptionPreferences', () => {
  it('encodes each side to scalingFactor * the posterior mean, image by image, and tokenises the captions', async () => {
    const autoencoder = new LatentAutoencoder({ imageShape: [4, 4, 3], channels: [8, 8], groups: 4, seed: 1 });
    const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'green apple']);
    const count = 3;
    const chosen = Float32Array.from({ length: count * 48 }, (_, i) => Math.sin(i));
    const rejected = Float32Array.from({ length: count * 48 }, (_, i) => Math.cos(i));
    const captions = ['red apple', 'green apple', 'blue apple'];
    const before = tf.memory().numTensors;
    const encoded = await encodeCaptionPreferences(
      { chosen, rejected, captions, count, imageShape: [4, 4, 3], tiesDropped: 0 },
      { autoencoder, scalingFactor: 0.5 },
      tokenizer,
      4,
      2, // batches of 2: the last batch is partial
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(encoded.latentShape).toEqual([2, 2, 4]);
    for (let i = 0; i < count; i++) {
      const one = tf.tidy(() =>
        tf.mul(autoencoder.encodeMean(tf.tensor4d(rejected.subarray(i * 48, (i + 1) * 48), [1, 4, 4, 3])), 0.5),
      );
      expectClose(one, encoded.rejected.subarray(i * 16, (i + 1) * 16), { atol: 1e-6, rtol: 1e-5 });
      one.dispose();
    }
    expect(Array.from(encoded.tokenIds.subarray(8, 12))).toEqual([1, 2, 0, 0]); // "blue" unknown, "apple" id 2
    validateCaptionLatentPreferences('data', encoded, [2, 2, 4], 4);
    expect(() => validateCaptionLatentPreferences('data', encoded, [2, 2, 4], 5)).toThrow(/data.maxLength/);
    expect(fingerprintCaptionLatentPreferences(encoded)).not.toBe(
      fingerprintCaptionLatentPreferences({ ...encoded, chosen: encoded.rejected }),
    );
    autoencoder.dispose();
  });
});
