import * as tf from '@tensorflow/tfjs-core';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { SequenceRewardModel } from '@dpo-ts/reward';
import { describe, expect, it } from 'vitest';
import { rewardModelScorer } from './reward-model-scorer.js';

describe('rewardModelScorer', () => {
  it('scores finished completions with EOS and cut-off ones without', async () => {
    const tokenizer = CharTokenizer.fromCorpus(['abc >']);
    const model = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 8, nLayer: 1, nHead: 2, seed: 1 }),
      { headInitStd: 1 },
    );
    const before = tf.memory().numTensors;
    const scores = await rewardModelScorer(model, tokenizer, { batchSize: 1 }).scoreBatch({
      prompts: ['a>', 'b>'],
      completions: ['cab', 'cab'],
      finished: [true, false],
    });
    expect(tf.memory().numTensors).toBe(before);
    const withEos = await model.scoreTexts(tokenizer, [{ prompt: 'a>', completion: 'cab' }]);
    const withoutEos = await model.scoreTexts(tokenizer, [{ prompt: 'b>', completion: 'cab' }], { addEos: false });
    expect(scores[0]).toBeCloseTo(withEos[0]!, 5);
    expect(scores[1]).toBeCloseTo(withoutEos[0]!, 5);
    expect(() => rewardModelScorer(model, tokenizer, { maxLength: 13 })).toThrow(/options.maxLength/);
    model.dispose();
  });
});
