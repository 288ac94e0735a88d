import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DPOTSError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import { SFTTrainer } from './sft-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const gpt = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 8, nLayer: 1, nHead: 2, seed: 3 });

describe('resuming across trainer kinds', () => {
  it('DPO refuses to resume an SFT checkpoint of the same model, naming both trainers', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-kind-'));
    const sftModel = gpt();
    const sft = await SFTTrainer.create({
      model: sftModel,
      tokenizer,
      trainDataset: [{ prompt: 'ab', completion: 'cd.' }],
      config: { totalSteps: 1, saveSteps: 1 },
    });
    await sft.train({ progress: false, checkpoint: { dir } });
    const dpoModel = gpt();
    const dpo = await DPOTrainer.create({
      model: dpoModel,
      tokenizer,
      trainDataset: [{ prompt: 'a', chosen: 'b!', rejected: 'c.' }],
      config: { totalSteps: 2, saveSteps: 1 },
    });
    const run = dpo.train({ progress: false, checkpoint: { dir, resume: 'auto' } });
    await expect(run).rejects.toThrow(DPOTSError);
    await expect(run).rejects.toThrow(
      `checkpoint ${path.join(dir, 'step-000001')} was written by the "sft" trainer; this is the "dpo" trainer, which cannot resume it`,
    );
    sft.dispose();
    dpo.dispose();
    [sftModel, dpoModel].forEach((m) => {
      m.dispose();
    });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('SFT refuses to resume a checkpoint of another architecture (same weight shapes, other head count), naming the field', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-arch-'));
    const data = [{ prompt: 'ab', completion: 'cd.' }];
    const first = gpt();
    const sft = await SFTTrainer.create({
      model: first,
      tokenizer,
      trainDataset: data,
      config: { totalSteps: 1, saveSteps: 1 },
    });
    await sft.train({ progress: false, checkpoint: { dir } });
    const other = new GPT({
      vocabSize: tokenizer.vocabSize,
      contextLength: 16,
      dModel: 8,
      nLayer: 1,
      nHead: 4,
      seed: 3,
    });
    const resumed = await SFTTrainer.create({
      model: other,
      tokenizer,
      trainDataset: data,
      config: { totalSteps: 2, saveSteps: 1 },
    });
    const run = resumed.train({ progress: false, checkpoint: { dir, resume: 'auto' } });
    await expect(run).rejects.toThrow(DPOTSError);
    await expect(run).rejects.toThrow(/model\.config\.nHead/);
    const same = gpt();
    const again = await SFTTrainer.create({
      model: same,
      tokenizer,
      trainDataset: data,
      config: { totalSteps: 2, saveSteps: 1 },
    });
    expect((await again.train({ progress: false, checkpoint: { dir, resume: 'auto' } })).completedSteps).toBe(2);
    [sft, resumed, again].forEach((trainer) => {
      trainer.dispose();
    });
    [first, other, same].forEach((model) => {
      model.dispose();
    });
    await fs.rm(dir, { recursive: true, force: true });
  });
});
