import { SamplingWorkerPool } from '@dpo-ts/core/parallel';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { CausalLanguageModel } from './causal-lm.js';
import { CharTokenizer } from './char-tokenizer.js';
import { generate } from './generate.js';
import { GPT } from './gpt-model.js';
import {
  createGPTSampler,
  generateTasks,
  gptSamplerSpec,
  type GPTSamplingResult,
  type GPTSamplingTask,
} from './gpt-sampler.js';
import { sampleCompletions } from './sample-completions.js';
import { tokenLogProbs } from './token-log-probs.js';

// Workers load the packages' dist/: these tests need `npm run build` first (CI builds before testing).
const tokenizer = CharTokenizer.fromCorpus(['abc .']);
const config = { vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed: 3 };

describe('sampling a GPT on worker threads', () => {
  const model = new GPT(config);
  /** Log-probs of ids[promptLength..] given what precedes them, by one forward pass of `model`. */
  async function tokenLogProbsOf(ids: readonly number[], promptLength: number): Promise<number[]> {
    const logProbs = tf.tidy(() => tokenLogProbs(model, tf.tensor2d([[...ids]], undefined, 'int32')));
    const values = Array.from(await logProbs.data());
    logProbs.dispose();
    return values.slice(promptLength - 1);
  }
  afterAll(() => model.dispose());
  const prompts = ['a', 'b c', 'c', 'ab', 'a', 'cc', '.', 'ba'];
  const sampling = { maxNewTokens: 6, seed: 5, batchSize: 3, temperature: 1.3 };

  it('sampleCompletions gives the same samples with workers 1 and 2, in prompt order', async () => {
    const one = await expectNoLeak(() => sampleCompletions(model, tokenizer, prompts, { ...sampling, workers: 1 }));
    const two = await expectNoLeak(() => sampleCompletions(model, tokenizer, prompts, { ...sampling, workers: 2 }));
    expect(two).toEqual(one);
    expect(one.map((s) => s.prompt)).toEqual(prompts);
    // Batch 1 (prompts 3-5) is generate's call seeded 5 + 1: the samples are today's single-thread ones.
    const direct = await generate(
      model,
      tokenizer,
      prompts.slice(3, 6).map((p) => [tokenizer.bosTokenId, ...tokenizer.encode(p)]),
      { maxNewTokens: 6, temperature: 1.3, seed: 6 },
    );
    expect(one.slice(3, 6).map((s) => s.completion)).toEqual(direct.texts);
    expect(new Set(one.map((s) => s.completion)).size).toBeGreaterThan(1);
  });

  it('a worker replica samples with the main thread weights: log-probs match a scoring pass', async () => {
    // Another seed's initial weights in the workers: the pool must overwrite them with the model's.
    const pool = await SamplingWorkerPool.create<GPTSamplingTask, GPTSamplingResult>({
      sampler: gptSamplerSpec({ gpt: { ...config, seed: 99 } }),
      parameters: model.namedVariables(),
      workers: 2,
    });
    try {
      const task: GPTSamplingTask = {
        prompts: [[tokenizer.bosTokenId, ...tokenizer.encode('ab')]],
        generation: { maxNewTokens: 5, seed: 11, stopAtEos: false },
        eosTokenId: tokenizer.eosTokenId,
        padTokenId: tokenizer.padTokenId,
      };
      const [first, second] = await pool.sample([task, { ...task, generation: { ...task.generation, seed: 12 } }]);
      const local = await createGPTSampler({ gpt: config }, model).sample(task);
      expect(first).toEqual(local);
      expect(second!.tokenIds).not.toEqual(first!.tokenIds);
      // Independent check: the sampled tokens' log-probs under the main thread's model, by a full forward pass.
      const ids = [...task.prompts[0]!, ...first!.tokenIds[0]!];
      const scored = await tokenLogProbsOf(ids, task.prompts[0]!.length);
      expect(scored).toHaveLength(5);
      for (const [t, logProb] of scored.entries()) expect(first!.logProbs[0]![t]).toBeCloseTo(logProb, 4);
      expect(await pool.workerTensorCounts()).toEqual([model.namedVariables().size, model.namedVariables().size]);
    } finally {
      await pool.close();
    }
  });

  it('refuses workers > 1 for a model workers cannot rebuild, naming the option', async () => {
    const notGPT: CausalLanguageModel = {
      vocabSize: model.vocabSize,
      contextLength: model.contextLength,
      forward: (inputIds, options) => model.forward(inputIds, options),
      trainableVariables: () => model.trainableVariables(),
    };
    await expect(
      generateTasks(
        notGPT,
        [{ prompts: [[1]], generation: { maxNewTokens: 1, seed: 0 }, eosTokenId: 0, padTokenId: 0 }],
        2,
      ),
    ).rejects.toThrow('options.workers must be at most 1 for a model other than a GPT');
  });
});
