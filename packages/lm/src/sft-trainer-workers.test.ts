import { describe, expect, it } from 'vitest';
import { BigramModel } from './bigram-model.test-helper.js';
import { CharTokenizer } from './char-tokenizer.js';
import { GPT } from './gpt-model.js';
import { SFTTrainer } from './sft-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .']);
const TEXTS = ['abc def gh.', 'hg fed cba.'].map((text) => ({ text }));
const CONFIG = { totalSteps: 1, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 2 };

// The 2-workers-equal-1-worker training is sft-trainer-workers.slow.test.ts.
describe('SFTTrainer workers', () => {
  it('refuses workers > 1 for a model a worker cannot rebuild, naming the field', async () => {
    const bigram = new BigramModel(
      Array.from({ length: tokenizer.vocabSize }, () => new Array<number>(tokenizer.vocabSize).fill(0)),
    );
    const create = (workers: number) =>
      SFTTrainer.create({ model: bigram as never, tokenizer, trainDataset: TEXTS, config: { ...CONFIG, workers } });
    await expect(create(2)).rejects.toThrow('config.workers must be at most 1 for a model other than a GPT');
    bigram.table.dispose();
  });

  it("accepts workers 'auto' for a GPT", async () => {
    const gpt = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 8, nLayer: 1, nHead: 2 });
    const trainer = await SFTTrainer.create({
      model: gpt,
      tokenizer,
      trainDataset: TEXTS,
      config: { ...CONFIG, workers: 'auto' },
    });
    expect(trainer.config.workers).toBe('auto');
    trainer.dispose();
    gpt.dispose();
  });
});
