import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { LETTERS, letterCountPairs } from './letter-count-pairs.test-helper.js';
import { RewardTrainer } from './reward-trainer.js';
import { loadTrainedRewardModel } from './saved-reward-model.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

const tokenizer = CharTokenizer.fromCorpus([`>${LETTERS}`]);
const weightsOf = (model: SequenceRewardModel): number[][] =>
  [...model.namedVariables().values()].map((v) => Array.from(v.dataSync()));

describe('RewardTrainer.save / RewardTrainer.load', () => {
  it('round-trips the trained reward model bit-identically, with its tokenizer and scores', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'dpo-ts-reward-save-')), 'rm');
    const model = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed: 4 }),
      { headSeed: 4 },
    );
    const trainer = await RewardTrainer.create({
      model,
      tokenizer,
      trainDataset: letterCountPairs(16, 1),
      config: { totalSteps: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-2 },
    });
    await trainer.train({ progress: false });
    await expectNoLeak(() => trainer.save(dir));
    trainer.dispose();
    const loaded = await RewardTrainer.load(dir);
    expect(loaded.manifest).toMatchObject({ kind: 'reward', modality: 'reward', step: 2 });
    expect(loaded.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(weightsOf(loaded.model)).toEqual(weightsOf(model));
    const texts = [{ prompt: '>', completion: 'abc' }];
    expect(await loaded.model.scoreTexts(loaded.tokenizer, texts, { maxLength: 12 })).toEqual(
      await model.scoreTexts(tokenizer, texts, { maxLength: 12 }),
    );
    await expect(loadTrainedRewardModel(join(dir, '..'))).rejects.toThrow(/^dir must be a directory written/);
    loaded.model.dispose();
    model.dispose();
  });
});
