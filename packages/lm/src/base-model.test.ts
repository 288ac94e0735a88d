// The committed base model, sampled on wasm (the backend its card was measured on; the cpu
// reference backend is ~10x slower at this size).
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseModel, type LoadedBaseModel } from './base-model.js';
import { realWordRate } from './real-word-rate.js';
import { sampleCompletions } from './sample-completions.js';

const dictionary = new Set<string>(createRequire(import.meta.url)('an-array-of-english-words') as string[]);

describe('the committed base model (models/base-en)', () => {
  let base: LoadedBaseModel;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    base = await loadBaseModel();
  });
  afterAll(async () => {
    base.model.dispose();
    await tf.setBackend('cpu');
  });

  it('loads with the configuration, size and vocabulary its card reports', () => {
    const { model, tokenizer, card } = base;
    expect(tokenizer.type).toBe('byte-bpe');
    expect(model.vocabSize).toBe(tokenizer.vocabSize);
    expect(card.vocabSize).toBe(tokenizer.vocabSize);
    expect(model.numParameters()).toBe(card.parameters);
    expect(model.config).toEqual(card.model);
    expect(card.steps).toBeGreaterThan(0);
    expect(card.tokensSeen).toBeGreaterThan(0);
    const text = 'Call me Ishmael. The Congress shall—in 1790—meet.';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('writes seeded completions that decode to text, with the real-word rate its card reports', async () => {
    const { model, tokenizer, card } = base;
    const reference = card.sampling[0]!;
    expect(reference.temperature).toBe(1);
    const tensorsBefore = tf.memory().numTensors;
    const prompts = [...card.prompts, ...card.prompts];
    const samples = await sampleCompletions(model, tokenizer, prompts, {
      seed: 1,
      temperature: 1,
      topK: 0,
      maxNewTokens: 32,
    });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    for (const sample of samples) {
      expect(sample.completionIds.length).toBeGreaterThan(0);
      expect(sample.completion).toBe(tokenizer.decode(sample.completionIds));
    }
    // ~20 completions hold ~300-500 words, so the rate's sampling sd is ~0.02: allow 0.1.
    const rate = realWordRate(
      samples.map((s) => s.completion),
      dictionary,
    );
    expect(rate.words).toBeGreaterThan(100);
    expect(rate.rate).toBeGreaterThanOrEqual(reference.realWordRate - 0.1);
  });

  it("writes English: >= 0.9 real words with transformers' default top-k 50 (issue #13), on the card and on a seeded sample", async () => {
    const { model, tokenizer, card } = base;
    const topK50 = card.sampling.find((s) => s.temperature === 1 && s.topK === 50);
    expect(topK50?.realWordRate).toBeGreaterThanOrEqual(0.9);
    const prompts = [...card.prompts, ...card.prompts, ...card.prompts];
    const samples = await sampleCompletions(model, tokenizer, prompts, {
      seed: 3,
      temperature: 1,
      topK: 50,
      maxNewTokens: 32,
    });
    const rate = realWordRate(
      samples.map((s) => s.completion),
      dictionary,
    );
    expect(rate.words).toBeGreaterThan(300);
    expect(rate.rate).toBeGreaterThanOrEqual(0.9);
  });

  it('samples the same completions for the same prompts and seed', async () => {
    const { model, tokenizer, card } = base;
    const options = { seed: 7, temperature: 1, topK: 0, maxNewTokens: 8 };
    const first = await sampleCompletions(model, tokenizer, card.prompts.slice(0, 3), options);
    expect(await sampleCompletions(model, tokenizer, card.prompts.slice(0, 3), options)).toEqual(first);
  });
});
