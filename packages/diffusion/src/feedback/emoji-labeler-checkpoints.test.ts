import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadEmojiCLIP, loadStyleClassifier } from './feedback-checkpoint.js';

const checkpoint = (name: string): string => fileURLToPath(new URL(`../../checkpoints/${name}`, import.meta.url));

describe('committed emoji labelers and oracles', () => {
  it('load, carry their held-out numbers, and score a white image finitely', async () => {
    const white = tf.ones([1, 32, 32, 3]) as tf.Tensor4D;
    for (const [name, retrieval] of [
      ['emoji-clip', 0.317],
      ['emoji-clip-oracle', 0.374],
    ] as const) {
      const { clip, tokenizer, metadata } = await loadEmojiCLIP(checkpoint(name));
      expect((metadata.heldOut as { retrieval_accuracy: number }).retrieval_accuracy).toBeCloseTo(retrieval, 3);
      const score = tf.tidy(() =>
        clip.scorePairs(white, tokenizer.encodeBatch(['red apple'], clip.textEncoder.config.maxLength)).dataSync(),
      );
      expect(Number.isFinite(score[0])).toBe(true);
      clip.dispose();
    }
    for (const [name, accuracy] of [
      ['emoji-style', 0.874],
      ['emoji-style-oracle', 0.843],
    ] as const) {
      const { classifier, metadata } = await loadStyleClassifier(checkpoint(name));
      expect((metadata.heldOut as { accuracy: number }).accuracy).toBeCloseTo(accuracy, 3);
      expect(classifier.config.positive).toBe('twitter');
      expect(Number.isFinite(tf.tidy(() => classifier.logits(white).dataSync()[0]!))).toBe(true);
      classifier.dispose();
    }
    white.dispose();
  });
});
