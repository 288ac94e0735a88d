import * as tf from '@tensorflow/tfjs-core';
import { CharTokenizer, GPT, sampleCompletions } from '@dpo-ts/lm';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimateSequenceKL } from './sequence-kl.js';
import { useCpuBackend } from './test-backend.test-helper.js';

beforeAll(useCpuBackend);

/** Every completion the sampler can produce in `maxNewTokens` steps: it stops at EOS only. */
function allCompletions(vocabSize: number, eos: number, maxNewTokens: number): number[][] {
  const out: number[][] = [];
  const extend = (prefix: number[]): void => {
    for (let token = 0; token < vocabSize; token++) {
      const next = [...prefix, token];
      if (token === eos || next.length === maxNewTokens) out.push(next);
      else extend(next);
    }
  };
  extend([]);
  return out;
}

/**
 * log p(completion | context) of each completion from the model's logits, computed here with
 * logSoftmax in one right-padded forward pass (a causal model never looks at the padding),
 * independently of lm's scoring code.
 */
function exactLogProbs(model: GPT, context: readonly number[], completions: readonly (readonly number[])[]): number[] {
  const width = context.length + Math.max(...completions.map((c) => c.length));
  const rows = completions.map((c) => [
    ...context,
    ...c,
    ...new Array<number>(width - context.length - c.length).fill(0),
  ]);
  const logProbs = tf.tidy(
    () => tf.logSoftmax(model.forward(tf.tensor2d(rows, undefined, 'int32'))).arraySync() as number[][][],
  ); // [N, T, V]
  return completions.map((completion, n) =>
    completion.reduce((sum, token, t) => sum + logProbs[n]![context.length - 1 + t]![token]!, 0),
  );
}

describe('estimateSequenceKL', () => {
  const tokenizer = CharTokenizer.fromCorpus('ab'); // PAD, BOS, EOS, UNK, a, b: 6 tokens
  const config = { vocabSize: tokenizer.vocabSize, contextLength: 8, dModel: 8, nLayer: 1, nHead: 2, initStd: 0.6 };

  it('matches the exact KL of a tiny model, enumerated over every completion of up to 3 tokens (156 of them)', async () => {
    const policy = new GPT({ ...config, seed: 1 });
    const reference = new GPT({ ...config, seed: 2 });
    const maxNewTokens = 3;
    const context = [tokenizer.bosTokenId, ...tokenizer.encode('ab')];
    const completions = allCompletions(tokenizer.vocabSize, tokenizer.eosTokenId, maxNewTokens);
    const policyLogProbs = exactLogProbs(policy, context, completions);
    const referenceLogProbs = exactLogProbs(reference, context, completions);
    const total = policyLogProbs.reduce((sum, lp) => sum + Math.exp(lp), 0);
    const exact = policyLogProbs.reduce((sum, lp, i) => sum + Math.exp(lp) * (lp - referenceLogProbs[i]!), 0);
    expect(total).toBeCloseTo(1, 4); // the enumeration covers what the sampler can draw
    expect(exact).toBeGreaterThan(0.05); // the two models differ enough for the test to mean something

    const before = tf.memory().numTensors;
    const samples = await sampleCompletions(
      policy,
      tokenizer,
      Array.from({ length: 1200 }, () => 'ab'),
      { maxNewTokens, temperature: 1, seed: 7, batchSize: 300 },
    );
    const estimate = await estimateSequenceKL(policy, reference, tokenizer, samples, 300);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(estimate.mean - exact)).toBeLessThan(4 * estimate.standardError);
    expect(estimate.standardError).toBeLessThan(0.25 * exact);
    const self = await estimateSequenceKL(policy, policy, tokenizer, samples.slice(0, 50));
    expect(self.mean).toBe(0);
    policy.dispose();
    reference.dispose();
  });
});
