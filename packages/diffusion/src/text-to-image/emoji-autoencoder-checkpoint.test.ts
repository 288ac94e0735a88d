import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadEmojiDataset } from '../data/emoji-dataset.js';
import { splitEmojiDataset } from '../data/emoji-split.js';
import { loadLatentAutoencoder } from './autoencoder-checkpoint.js';
import { EMOJI_AUTOENCODER_CHECKPOINT } from './emoji-autoencoder-checkpoint.js';

describe('EMOJI_AUTOENCODER_CHECKPOINT', () => {
  it('loads the committed autoencoder, which reconstructs held-out emoji far better than a flat white image', async () => {
    const { autoencoder, scalingFactor } = await loadLatentAutoencoder(EMOJI_AUTOENCODER_CHECKPOINT);
    try {
      expect(autoencoder.parameterCount()).toBe(416203);
      expect(autoencoder.latentShape).toEqual([8, 8, 4]);
      expect(scalingFactor).toBeCloseTo(1.0347, 3);
      // The canonical split it was trained on (the default, 'mixed').
      const { heldOut } = splitEmojiDataset(await loadEmojiDataset({ vendors: ['google'] }), {
        heldOutFraction: 0.1,
        seed: 0,
      });
      const count = 16;
      const [reconstructionL1, whiteL1] = tf.tidy(() => {
        const images = tf.tensor4d(heldOut.images.subarray(0, count * 3072), [count, 32, 32, 3]);
        const decoded = tf.clipByValue(autoencoder.decode(autoencoder.encodeMean(images)), -1, 1);
        return [
          tf.mean(tf.abs(tf.sub(decoded, images))).dataSync()[0]!,
          tf.mean(tf.abs(tf.sub(1, images))).dataSync()[0]!,
        ];
      });
      // Measured at training time on 256 held-out images of both vendors: L1 0.0668.
      expect(reconstructionL1).toBeLessThan(0.1);
      expect(reconstructionL1).toBeLessThan(whiteL1 / 3);
    } finally {
      autoencoder.dispose();
    }
  });
});
