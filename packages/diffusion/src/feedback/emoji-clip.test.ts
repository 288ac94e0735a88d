import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '@dpo-ts/core';
import { AdamWOptimizer, applyGradientStep, computeNamedGradients } from '@dpo-ts/core/training';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { EmojiCLIP } from './emoji-clip.js';
import { loadEmojiCLIP, loadStyleClassifier, saveEmojiCLIP, saveStyleClassifier } from './feedback-checkpoint.js';
import { retrievalAccuracy } from './retrieval-accuracy.js';
import { StyleClassifier } from './style-classifier.js';

const IMAGE = { imageShape: [8, 8, 3] as const, channels: [8, 8], groups: 4 };
const CAPTIONS = ['red square', 'green square', 'blue square', 'white square'];
/** Four 8x8 images on white: image i has a black 4x4 block in quadrant i. */
const images = (): tf.Tensor4D =>
  tf.tensor4d(
    Array.from({ length: 4 * 64 }, (_, p) => {
      const [i, y, x] = [Math.floor(p / 64), Math.floor((p % 64) / 8), p % 8];
      return Array<number>(3).fill(Math.floor(y / 4) * 2 + Math.floor(x / 4) === i ? -1 : 1);
    }).flat(),
    [4, 8, 8, 3],
  );

async function train(
  model: { namedVariables(): ReadonlyMap<string, tf.Variable> },
  loss: () => tf.Scalar,
  steps: number,
) {
  const variables = model.namedVariables();
  const optimizer = new AdamWOptimizer(variables, { weightDecay: 0 });
  for (let step = 0; step < steps; step++) {
    const { value, grads } = computeNamedGradients(loss, variables);
    await applyGradientStep(optimizer, grads, { learningRate: 2e-2, stepIndex: step, maxGradNorm: 1 });
    tf.dispose([value, ...grads.values()]);
  }
  optimizer.dispose();
}

describe('EmojiCLIP', () => {
  const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
  const tokenIds = tokenizer.encodeBatch(CAPTIONS, 4);

  it('learns to retrieve the right caption of four images, without leaking tensors, and saves/loads', async () => {
    const clip = new EmojiCLIP({
      text: { vocabSize: tokenizer.vocabSize, maxLength: 4, dim: 16, layers: 1, heads: 2 },
      image: IMAGE,
      embedDim: 8,
      seed: 3,
    });
    const x = images();
    const before = tf.memory().numTensors;
    const lossBefore = tf.tidy(() => clip.loss(x, tokenIds).dataSync()[0]!);
    await train(clip, () => clip.loss(x, tokenIds), 25);
    const lossAfter = tf.tidy(() => clip.loss(x, tokenIds).dataSync()[0]!);
    expect(tf.memory().numTensors).toBe(before);
    expect(lossAfter).toBeLessThan(lossBefore / 2);
    const [imageEmbeddings, textEmbeddings] = tf.tidy(() => [
      clip.embedImages(x).dataSync() as Float32Array,
      clip.embedTexts(tokenIds, 4).dataSync() as Float32Array,
    ]);
    expect(retrievalAccuracy(imageEmbeddings!, textEmbeddings!, 8, CAPTIONS, 4).accuracy).toBe(1);
    const scores = tf.tidy(() => clip.scorePairs(x, tokenIds).dataSync());
    const scale = tf.tidy(() => clip.scale().dataSync()[0]!);
    for (let i = 0; i < 4; i++) {
      let cos = 0;
      for (let d = 0; d < 8; d++) cos += imageEmbeddings![i * 8 + d]! * textEmbeddings![i * 8 + d]!;
      expect(scores[i]).toBeCloseTo(scale * cos, 4);
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'clip-'));
    try {
      await saveEmojiCLIP(dir, { clip, tokenizer }, { heldOutAccuracy: 1 });
      const loaded = await loadEmojiCLIP(dir);
      expect(loaded.metadata).toEqual({ heldOutAccuracy: 1 });
      expect(loaded.tokenizer.words).toEqual(tokenizer.words);
      const again = tf.tidy(() => loaded.clip.scorePairs(x, tokenIds).dataSync());
      expect(Array.from(again)).toEqual(Array.from(scores));
      loaded.clip.dispose();
      await expect(loadStyleClassifier(dir)).rejects.toThrow(DataFormatError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    x.dispose();
    clip.dispose();
  });

  it('clips the inverse temperature at 100', () => {
    const clip = new EmojiCLIP({
      text: { vocabSize: 6, maxLength: 2, dim: 8, layers: 0, heads: 1 },
      image: IMAGE,
      embedDim: 4,
    });
    clip.logScale.assign(tf.scalar(10));
    expect(tf.tidy(() => clip.scale().dataSync()[0])).toBeCloseTo(100, 3);
    clip.dispose();
  });
});

describe('StyleClassifier', () => {
  it('separates two styles (flat vs striped) and round-trips through save/load', async () => {
    const flat = Array.from({ length: 64 }, () => [0.5, 0.5, 0.5]).flat();
    const striped = Array.from({ length: 64 }, (_, p) => (p % 2 === 0 ? [1, 1, 1] : [-1, -1, -1])).flat();
    const x = tf.tensor4d([...flat, ...striped, ...flat, ...striped], [4, 8, 8, 3]);
    const targets = [1, 0, 1, 0];
    const classifier = new StyleClassifier({ image: IMAGE, positive: 'flat', seed: 2 });
    await train(classifier, () => classifier.loss(x, targets), 40);
    const logits = tf.tidy(() => classifier.logits(x).dataSync());
    expect(Array.from(logits, (l) => (l > 0 ? 1 : 0))).toEqual(targets);
    const dir = await mkdtemp(path.join(tmpdir(), 'style-'));
    try {
      await saveStyleClassifier(dir, classifier, { heldOutAccuracy: 1 });
      const { classifier: loaded, metadata } = await loadStyleClassifier(dir);
      expect(metadata.heldOutAccuracy).toBe(1);
      expect(loaded.config.positive).toBe('flat');
      expect(Array.from(tf.tidy(() => loaded.logits(x).dataSync()))).toEqual(Array.from(logits));
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    x.dispose();
    classifier.dispose();
  });
});

describe('retrievalAccuracy', () => {
  it('is 1 for perfect embeddings and 0 when every candidate ties (ties are misses); chance is 1/K', () => {
    const eye = Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    expect(retrievalAccuracy(eye, eye, 4, CAPTIONS, 3)).toEqual({
      accuracy: 1,
      chance: 1 / 3,
      images: 4,
      candidates: 3,
    });
    const same = new Float32Array(16).fill(0.5);
    expect(retrievalAccuracy(same, same, 4, CAPTIONS, 2).accuracy).toBe(0);
    expect(() => retrievalAccuracy(eye, eye, 4, ['a', 'a', 'b', 'b'], 4)).toThrow(/captions/); // 'a' has 2 distractors, not 3
  });
});
