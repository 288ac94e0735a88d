import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { generate } from './generate.js';
import { GPT } from './gpt-model.js';
import { comparePolicyToReference } from './policy-comparison.js';
import { completionLogProbs, sampleCompletions } from './sample-completions.js';
import { samplePreferencePairs } from './sampled-preference-pairs.js';

const tokenizer = CharTokenizer.fromCorpus(['abc .']);
const countA = (text: string): number => [...text].filter((c) => c === 'a').length;

describe('sampling helpers', () => {
  const model = new GPT({
    vocabSize: tokenizer.vocabSize,
    contextLength: 16,
    dModel: 16,
    nLayer: 1,
    nHead: 2,
    seed: 3,
  });
  const other = new GPT({
    vocabSize: tokenizer.vocabSize,
    contextLength: 16,
    dModel: 16,
    nLayer: 1,
    nHead: 2,
    seed: 4,
  });
  afterAll(() =>
    [model, other].forEach((m) => {
      m.dispose();
    }),
  );
  const sampling = { maxNewTokens: 8, seed: 5, batchSize: 3 };

  it('samples deterministically per seed, and completionLogProbs recomputes what generate reported', async () => {
    const prompts = ['a', 'b c', 'c', 'ab', 'a'];
    const samples = await expectNoLeak(() => sampleCompletions(model, tokenizer, prompts, sampling));
    expect(samples.map((s) => s.prompt)).toEqual(prompts);
    expect(await sampleCompletions(model, tokenizer, prompts, sampling)).toEqual(samples);
    // Batch k is seeded seed + k: rows 0-2 are one generate call.
    const direct = await generate(
      model,
      tokenizer,
      prompts.slice(0, 3).map((p) => tokenizer.encode(p, { addBos: true })),
      { maxNewTokens: 8, seed: 5 },
    );
    expect(samples.slice(0, 3).map((s) => s.completion)).toEqual(direct.texts);
    const logProbs = await expectNoLeak(() => completionLogProbs(model, tokenizer, samples.slice(0, 3), 2));
    logProbs.forEach((lp, b) => {
      expect(lp).toBeCloseTo(
        direct.logProbs[b]!.reduce((x, y) => x + y, 0),
        4,
      );
    });
  });

  it('pairs the best and the worst sample of each prompt by reward and skips ties', async () => {
    const prompts = ['a', 'b', 'c', 'ab'];
    const { pairs, skipped, sampled } = await samplePreferencePairs(model, tokenizer, prompts, countA, {
      ...sampling,
      samplesPerPrompt: 4,
    });
    expect(sampled).toBe(16);
    expect(pairs.length + skipped).toBe(4);
    for (const pair of pairs) {
      expect(countA(pair.chosen)).toBeGreaterThan(countA(pair.rejected));
      expect(pair.extra).toEqual({ score_chosen: countA(pair.chosen), score_rejected: countA(pair.rejected) });
    }
  });

  it('a policy compared with itself: KL 0, win rate 0.5, equal rewards; against another model, KL > 0', async () => {
    const prompts = ['a', 'b', 'c', 'ab', 'ba', 'cc'];
    const self = await comparePolicyToReference({
      policy: model,
      reference: model,
      tokenizer,
      prompts,
      reward: countA,
      sampling,
    });
    expect(self.klEstimate).toBe(0);
    expect(self.winRate).toBe(0.5);
    expect(self.policy.meanReward).toBe(self.reference.meanReward);
    const before = tf.memory().numTensors;
    const versus = await comparePolicyToReference({
      policy: model,
      reference: other,
      tokenizer,
      prompts: [...prompts, ...prompts, ...prompts],
      reward: countA,
      sampling,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(versus.klEstimate).toBeGreaterThan(0);
    expect(versus.policy.samples).toHaveLength(18);
  });
});
