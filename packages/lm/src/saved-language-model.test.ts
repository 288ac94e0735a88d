import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { saveTrainedModel } from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import { loadGPT } from './gpt-weights-io.js';
import { sampleCompletions } from './sample-completions.js';
import { loadLanguageModel } from './saved-language-model.js';
import { SFTTrainer } from './sft-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .']);
const PAIRS = [
  { prompt: 'ab', chosen: 'c.', rejected: 'h.' },
  { prompt: 'ba', chosen: 'de', rejected: 'gg' },
];
const weightsOf = (gpt: GPT): number[][] => [...gpt.namedVariables().values()].map((v) => Array.from(v.dataSync()));
const scratch = (): Promise<string> => fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-lm-save-'));
const newGPT = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed: 3 });

describe('SFTTrainer.save / DPOTrainer.load', () => {
  it('round-trips SFT -> DPO -> saved DPO model: bit-identical weights and the same samples for a seed', async () => {
    const dir = await scratch();
    const model = newGPT();
    const sft = await SFTTrainer.create({
      model,
      tokenizer,
      trainDataset: PAIRS.map(({ prompt, chosen }) => ({ prompt, completion: chosen })),
      config: { totalSteps: 2, perDeviceTrainBatchSize: 2, learningRate: 1e-2 },
    });
    await sft.train({ progress: false });
    await expectNoLeak(() => sft.save(path.join(dir, 'sft')));
    sft.dispose();

    const loadedSFT = await SFTTrainer.load(path.join(dir, 'sft'));
    expect(loadedSFT.manifest.kind).toBe('sft');
    expect(loadedSFT.manifest.step).toBe(2);
    expect(loadedSFT.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(weightsOf(loadedSFT.model)).toEqual(weightsOf(model));
    model.dispose();

    const dpo = await DPOTrainer.create({
      model: loadedSFT.model,
      tokenizer: loadedSFT.tokenizer,
      trainDataset: PAIRS,
      config: { totalSteps: 1, perDeviceTrainBatchSize: 2, learningRate: 1e-2, beta: 0.5 },
    });
    await dpo.train({ progress: false });
    await dpo.save(path.join(dir, 'dpo'));
    dpo.dispose();

    const loaded = await DPOTrainer.load(path.join(dir, 'dpo'));
    expect(loaded.manifest).toMatchObject({ kind: 'dpo', modality: 'lm', step: 1 });
    expect((loaded.manifest.trainerConfig as { loss: { beta: number } }).loss.beta).toBe(0.5);
    expect(weightsOf(loaded.model)).toEqual(weightsOf(loadedSFT.model));
    const sftWeights = await loadGPT(path.join(dir, 'sft'));
    expect(weightsOf(loaded.model)).not.toEqual(weightsOf(sftWeights));
    sftWeights.dispose();
    const options = { seed: 5, maxNewTokens: 6, temperature: 1 };
    const before = await sampleCompletions(loadedSFT.model, tokenizer, ['ab', 'ba'], options);
    const after = await sampleCompletions(loaded.model, loaded.tokenizer, ['ab', 'ba'], options);
    expect(after.map((s) => s.completionIds)).toEqual(before.map((s) => s.completionIds));
    loaded.model.dispose();
    loadedSFT.model.dispose();
  });

  it('refuses a directory of another modality and a model that is not a GPT, naming them', async () => {
    const dir = path.join(await scratch(), 'denoiser');
    await saveTrainedModel(dir, {
      kind: 'diffusion-dpo',
      modality: 'diffusion',
      trainerConfig: {},
      weights: new Map(),
    });
    await expect(loadLanguageModel(dir)).rejects.toThrow(/dir must be a saved lm model: got ".*" \(.* diffusion model/);

    const gpt = newGPT();
    const notAGPT = Object.assign(Object.create(Object.getPrototypeOf({})), {
      vocabSize: gpt.vocabSize,
      contextLength: gpt.contextLength,
      forward: gpt.forward.bind(gpt),
      namedVariables: () => gpt.namedVariables(),
    });
    const sft = await SFTTrainer.create({
      model: notAGPT,
      tokenizer,
      trainDataset: [{ text: 'abc.' }],
      config: { totalSteps: 1 },
    });
    const error = await sft.save(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('model');
    sft.dispose();
    gpt.dispose();
  });
});
