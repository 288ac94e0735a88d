import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { CharTokenizer, GPT, buildLMBatch } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import { SequenceRewardModel } from './sequence-reward-model.js';

const tokenizer = CharTokenizer.fromCorpus(['> abcd']);

function tinyModel(seed = 1): SequenceRewardModel {
  return new SequenceRewardModel(
    new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed }),
    { headSeed: 3, headInitStd: 0.5 },
  );
}

describe('SequenceRewardModel', () => {
  const model = tinyModel();
  afterAll(() => model.dispose());

  it("reads the head at each row's last real token (the EOS)", async () => {
    await expectNoLeak(() => {
      const batch = buildLMBatch(
        [
          { prompt: tokenizer.encode('>'), completion: tokenizer.encode('abca') },
          { prompt: tokenizer.encode('>'), completion: tokenizer.encode('d') },
        ],
        tokenizer,
        { maxLength: 16 },
      );
      // rows: [BOS > a b c a EOS] and [BOS > d EOS PAD PAD PAD]: last tokens at 6 and 3
      tf.tidy(() => {
        const rewards = model.score(batch);
        const all = model.tokenRewards(tf.tensor2d(batch.inputIds, [2, batch.sequenceLength], 'int32'));
        const expected = all.arraySync();
        expectClose(rewards, [expected[0]![6]!, expected[1]![3]!]);
      });
    });
  });

  it('gives a row the same reward alone and in a padded batch', async () => {
    const alone = await model.scoreTexts(tokenizer, [{ prompt: '>', completion: 'ab' }]);
    const together = await model.scoreTexts(tokenizer, [
      { prompt: '>', completion: 'abcdabcd' },
      { prompt: '>', completion: 'ab' },
    ]);
    expect(together[1]).toBeCloseTo(alone[0]!, 5);
    const batched = await model.scoreTexts(
      tokenizer,
      [
        { prompt: '>', completion: 'abcdabcd' },
        { prompt: '>', completion: 'ab' },
      ],
      { batchSize: 1 },
    );
    expectClose(batched, together, { atol: 1e-5 });
  });

  it('lists backbone then head variables by stable name and frees them on dispose', () => {
    const before = tf.memory().numTensors;
    const other = tinyModel(2);
    const names = [...other.namedVariables().keys()];
    expect(names[0]).toBe('wte');
    expect(names.at(-1)).toBe('score.kernel');
    expect(other.namedVariables().get('score.kernel')!.shape).toEqual([16, 1]);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a maxLength beyond the context', async () => {
    await expect(model.scoreTexts(tokenizer, [{ prompt: '>', completion: 'a' }], { maxLength: 17 })).rejects.toThrow(
      /options.maxLength/,
    );
  });
});
