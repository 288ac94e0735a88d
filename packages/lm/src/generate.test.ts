import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BigramModel } from './bigram-model.test-helper.js';
import { CharTokenizer } from './char-tokenizer.js';
import { generate } from './generate.js';
import { GPT } from './gpt-model.js';
import { buildLMBatch, lmBatchTensors } from './lm-batch.js';
import { tokenLogProbs } from './token-log-probs.js';

// Ids: 0 <pad>, 1 <bos>, 2 <eos>, 3 <unk>, 4..9 'a'..'f'.
const tokenizer = CharTokenizer.fromCorpus('abcdef');
const PROMPTS = [[1, 4, 5], [1], [1, 9, 8, 7, 6]];

describe('generate', () => {
  const model = new GPT({
    vocabSize: tokenizer.vocabSize,
    contextLength: 12,
    dModel: 16,
    nLayer: 2,
    nHead: 2,
    seed: 2,
  });
  afterAll(() => model.dispose());

  it('is reproducible for a seed and leaks nothing', async () => {
    const options = { maxNewTokens: 6, temperature: 1.3, seed: 42, stopAtEos: false };
    const first = await expectNoLeak(() => generate(model, tokenizer, PROMPTS, options));
    const again = await generate(model, tokenizer, PROMPTS, options);
    expect(again).toEqual(first);
    const other = await generate(model, tokenizer, PROMPTS, { ...options, seed: 43 });
    expect(other.tokenIds).not.toEqual(first.tokenIds);
    expect(first.tokenIds.map((row) => row.length)).toEqual([6, 6, 6]);
    expect(first.texts[0]).toBe(tokenizer.decode(first.tokenIds[0]!));
  });

  it('top-k = 1 equals greedy decoding', async () => {
    const greedy = await generate(model, tokenizer, PROMPTS, { maxNewTokens: 6, temperature: 0 });
    const topOne = await generate(model, tokenizer, PROMPTS, { maxNewTokens: 6, topK: 1, rng: new Rng(7) });
    expect(topOne.tokenIds).toEqual(greedy.tokenIds);
    expectClose(topOne.logProbs, greedy.logProbs, { atol: 1e-12 });
  });

  it('gives the same tokens and log-probs with and without the KV cache', async () => {
    for (const options of [{ temperature: 0 }, { temperature: 0.9, topP: 0.9, seed: 3 }]) {
      const cached = await generate(model, tokenizer, PROMPTS, { maxNewTokens: 7, ...options, useCache: true });
      const recomputed = await generate(model, tokenizer, PROMPTS, { maxNewTokens: 7, ...options, useCache: false });
      expect(recomputed.tokenIds).toEqual(cached.tokenIds);
      expectClose(recomputed.logProbs, cached.logProbs, { atol: 1e-5 });
    }
  });

  it('returns the log-probs a separate scoring pass computes (left padding included)', async () => {
    const temperature = 0.7;
    const result = await generate(model, tokenizer, PROMPTS, { maxNewTokens: 6, temperature, topK: 4, seed: 11 });
    const batch = buildLMBatch(
      PROMPTS.map((prompt, b) => ({ prompt, completion: result.tokenIds[b]!.slice(0, result.lengths[b]) })),
      tokenizer,
      { maxLength: 12, addBos: false, addEos: false },
    );
    const scored = tf.tidy(() => tokenLogProbs(model, lmBatchTensors(batch).inputIds, { temperature }).arraySync());
    PROMPTS.forEach((prompt, b) => {
      const n = result.lengths[b]!;
      // Column t scores token t + 1: the completion starts at column prompt.length - 1.
      expectClose(scored[b]!.slice(prompt.length - 1, prompt.length - 1 + n), result.logProbs[b]!.slice(0, n), {
        atol: 1e-5,
      });
    });
  });

  it('stops each row at its EOS and masks what follows', async () => {
    // Bigram: BOS -> 'a', 'a' -> EOS, 'b' -> 'b'.
    const table = Array.from({ length: tokenizer.vocabSize }, () => new Array<number>(tokenizer.vocabSize).fill(0));
    table[1]![4] = 20;
    table[4]![2] = 20;
    table[5]![5] = 20;
    const bigram = new BigramModel(table);
    try {
      const result = await generate(bigram, tokenizer, [[1], [5]], { maxNewTokens: 4, temperature: 0 });
      expect(result.tokenIds).toEqual([
        [4, 2, 0, 0],
        [5, 5, 5, 5],
      ]);
      expect(result.mask).toEqual([
        [1, 1, 0, 0],
        [1, 1, 1, 1],
      ]);
      expect(result.logProbs[0]!.slice(2)).toEqual([0, 0]);
      expect(result.lengths).toEqual([2, 4]);
      expect(result.finished).toEqual([true, false]);
      expect(result.texts).toEqual(['a', 'bbbb']);
      // All rows done: the loop stops early.
      const early = await generate(bigram, tokenizer, [[1], [1]], { maxNewTokens: 5, temperature: 0 });
      expect(early.tokenIds).toEqual([
        [4, 2],
        [4, 2],
      ]);
      const through = await generate(bigram, tokenizer, [[1]], { maxNewTokens: 3, temperature: 0, stopAtEos: false });
      expect(through.mask).toEqual([[1, 1, 1]]);
      expect(through.finished).toEqual([false]);
    } finally {
      bigram.dispose();
    }
  });

  it('slides the context window without the cache and validates its inputs', async () => {
    const long = await generate(model, tokenizer, [[1, 4]], {
      maxNewTokens: 15,
      useCache: false,
      stopAtEos: false,
      seed: 1,
    });
    expect(long.tokenIds[0]).toHaveLength(15);
    await expect(generate(model, tokenizer, [[1, 4]], { maxNewTokens: 12 })).rejects.toThrow(/useCache: false/);
    await expect(generate(model, tokenizer, [[]], { maxNewTokens: 2 })).rejects.toThrow(InvalidArgumentError);
    await expect(generate(model, tokenizer, [[1, 99]], { maxNewTokens: 2 })).rejects.toThrow(/prompts\[0\]\[1\]/);
    await expect(generate(model, tokenizer, [[1]], { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
  });
});
