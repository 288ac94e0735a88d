import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { frozenCopy } from './dpo-reference.js';
import { DPOTrainer, type DPOModel } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const PAIRS = [
  { prompt: 'abc', chosen: 'de!', rejected: 'hh.' },
  { prompt: 'h', chosen: 'gfe', rejected: 'a b' },
];
const CONFIG = { totalSteps: 1, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 2 };

// The 2-workers-equal-1-worker trainings are dpo-trainer-workers.slow.test.ts.
describe('DPOTrainer workers', () => {
  const policy = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 8, nLayer: 1, nHead: 2 });
  afterAll(() => policy.dispose());

  it("refuses workers > 1 with lossType 'bco_pair', whose running mean changes between micro-batches", async () => {
    const create = DPOTrainer.create({
      model: policy,
      tokenizer,
      trainDataset: PAIRS,
      config: { ...CONFIG, lossType: 'bco_pair', workers: 2 },
    });
    await expect(create).rejects.toThrow("config.workers must be 1 with lossType 'bco_pair'");
    // The default 'auto' falls back to the main thread instead.
    const auto = await DPOTrainer.create({
      model: policy,
      tokenizer,
      trainDataset: PAIRS,
      config: { ...CONFIG, lossType: 'bco_pair' },
    });
    expect(auto.config.workers).toBe('auto');
    auto.dispose();
  });

  it('refuses workers > 1 for a policy a worker cannot rebuild, and accepts it capped to 1', async () => {
    // The GPT behind another class: workers rebuild only GPTs (from their GPTConfig).
    const wrapped: DPOModel = {
      vocabSize: policy.vocabSize,
      contextLength: policy.contextLength,
      forward: (inputIds, options) => policy.forward(inputIds, options),
      trainableVariables: () => policy.trainableVariables(),
      namedVariables: () => policy.namedVariables(),
    };
    const reference = frozenCopy(policy);
    const create = (gradientAccumulationSteps: number) =>
      DPOTrainer.create({
        model: wrapped,
        referenceModel: reference,
        tokenizer,
        trainDataset: PAIRS,
        config: { ...CONFIG, gradientAccumulationSteps, workers: 2 },
      });
    await expect(create(2)).rejects.toThrow('config.workers must be at most 1 for a policy the trainer cannot rebuild');
    const auto = await DPOTrainer.create({
      model: wrapped,
      referenceModel: reference,
      tokenizer,
      trainDataset: PAIRS,
      config: CONFIG, // workers 'auto': one thread for a policy workers cannot rebuild
    });
    auto.dispose();
    // One micro-batch per step caps the workers at 1: no pool is needed.
    const trainer = await create(1);
    expect(trainer.config.workers).toBe(2);
    trainer.dispose();
    reference.dispose();
  });
});
