import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import { SFTTrainer } from './sft-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const gpt = (seed: number): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 8, nLayer: 1, nHead: 2, seed });
const RECORDS = [
  { prompt: 'abc', completion: 'de.' },
  { prompt: 'h', completion: 'gfe.' },
  { prompt: 'ba', completion: 'c' },
  { prompt: 'e', completion: 'ee.' },
  { prompt: 'g', completion: 'a.' },
];
const PAIRS = RECORDS.map(({ prompt, completion }) => ({ prompt, chosen: completion, rejected: 'hh' }));

describe('numTrainEpochs in the lm trainers', () => {
  it('SFT: 5 rows, batch 2 -> 3 steps per epoch; 2 epochs run 6 steps and log epoch 2 at the end', async () => {
    const model = gpt(1);
    const trainer = await SFTTrainer.create({
      model,
      tokenizer,
      trainDataset: RECORDS,
      config: { numTrainEpochs: 2, perDeviceTrainBatchSize: 2, learningRate: 1e-3 },
    });
    expect(trainer.config.totalSteps).toBe(6);
    const result = await trainer.train({ progress: false });
    expect(result.history.map((entry) => entry.metrics.epoch)).toEqual([1, 2, 3, 4, 5, 6].map((s) => s / 3));
    trainer.dispose();
    model.dispose();
  });

  it('DPO: totalSteps wins over numTrainEpochs; without either, 3 epochs (TRL default)', async () => {
    const model = gpt(2);
    const given = await DPOTrainer.create({
      model,
      tokenizer,
      trainDataset: PAIRS,
      config: { totalSteps: 2, numTrainEpochs: 5, perDeviceTrainBatchSize: 2 },
    });
    expect(given.config.totalSteps).toBe(2);
    given.dispose();
    const byEpochs = await DPOTrainer.create({
      model,
      tokenizer,
      trainDataset: PAIRS,
      config: { perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2 },
    });
    // ceil(5 / 2) = 3 micro-batches per epoch, floor(3 / 2) = 1 step per epoch, 3 epochs.
    expect(byEpochs.config.totalSteps).toBe(3);
    byEpochs.dispose();
    model.dispose();
  });
});
