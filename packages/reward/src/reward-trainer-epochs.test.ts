import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { LETTERS, letterCountPairs } from './letter-count-pairs.test-helper.js';
import { RewardTrainer } from './reward-trainer.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

const tokenizer = CharTokenizer.fromCorpus([`>${LETTERS}`]);

describe('RewardTrainer numTrainEpochs', () => {
  it('40 pairs in batches of 8: 5 steps per epoch; totalSteps wins when given', async () => {
    const model = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 8, nLayer: 1, nHead: 2, seed: 1 }),
      { headSeed: 1 },
    );
    const trainDataset = letterCountPairs(40, 3);
    for (const [config, steps] of [
      [{}, 15],
      [{ numTrainEpochs: 0.5 }, 3],
      [{ totalSteps: 7, numTrainEpochs: 2 }, 7],
    ] as const) {
      const trainer = await RewardTrainer.create({
        model,
        tokenizer,
        trainDataset,
        config: { ...config, perDeviceTrainBatchSize: 8 },
      });
      expect(trainer.config.totalSteps).toBe(steps);
      trainer.dispose();
    }
    model.dispose();
  });
});
