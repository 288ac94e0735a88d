import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { CharTokenizer, GPT, loadGPT, sampleCompletions, saveLanguageModel, SFTTrainer } from '@dpo-ts/lm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GRPOTrainer } from './group/grpo-trainer.js';
import { RLOOTrainer } from './group/rloo-trainer.js';
import { OnlineDPOTrainer } from './online-dpo/online-dpo-trainer.js';
import { PPOTrainer } from './ppo-trainer.js';
import type { RewardFunction } from './reward-source.js';
import { VALUE_HEAD_FILES } from './saved-policy-model.js';

const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const trainDataset = ['a>', 'b>', 'c>', 'd>'].map((prompt) => ({ prompt }));
const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (seed = 1): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed });
/** Never 0, so the value head's targets are not 0 and its first step moves it. */
const onePlusA: RewardFunction = (_prompt, completion) => 1 + [...completion].filter((c) => c === 'a').length;
const values = (variables: ReadonlyMap<string, tf.Tensor>): [string, number[]][] =>
  [...variables].map(([name, v]) => [name, Array.from(v.dataSync())]);
const dirs: string[] = [];
const scratch = async (): Promise<string> => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-rlhf-save-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});
const samplesOf = async (model: GPT): Promise<(readonly number[])[]> =>
  (await sampleCompletions(model, tokenizer, ['a>', 'cd>'], { seed: 7, maxNewTokens: 5, temperature: 1 })).map(
    (s) => s.completionIds,
  );
const ppoConfig = { totalSteps: 1, batchSize: 4, numMiniBatches: 2, responseLength: 5, learningRate: 1e-2 };

describe('PPOTrainer.save / PPOTrainer.load', () => {
  it('round-trips the policy and the value head bit for bit; the policy samples the same and loads as an lm model', async () => {
    const dir = path.join(await scratch(), 'ppo');
    const model = tinyGPT();
    const trainer = await PPOTrainer.create({ model, tokenizer, trainDataset, reward: onePlusA, config: ppoConfig });
    await trainer.train({ progress: false });
    await expectNoLeak(() => trainer.save(dir));

    const manifest = await readSavedModelManifest(dir);
    expect(manifest).toMatchObject({ kind: 'ppo', modality: 'lm', step: 1 });
    expect((manifest.trainerConfig as { batchSize: number }).batchSize).toBe(4);
    const loaded = await PPOTrainer.load(dir);
    expect(values(loaded.model.namedVariables())).toEqual(values(model.namedVariables()));
    expect(loaded.valueHead).toBeDefined();
    expect(values(loaded.valueHead!.namedVariables())).toEqual(values(trainer.valueHead.namedVariables()));
    // The value head was trained away from its zero initialisation.
    expect(
      values(loaded.valueHead!.namedVariables())
        .flatMap(([, v]) => v)
        .some((x) => x !== 0),
    ).toBe(true);
    expect(loaded.critic).toBeUndefined();
    expect(loaded.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(await samplesOf(loaded.model)).toEqual(await samplesOf(model));
    // lm reads the same directory: `dpo-ts sample` and the next stage.
    const asLM = await SFTTrainer.load(dir);
    expect(values(asLM.model.namedVariables())).toEqual(values(model.namedVariables()));

    // The loaded parts start a new PPO trainer.
    const resumed = await PPOTrainer.create({
      model: loaded.model,
      valueHead: loaded.valueHead!,
      tokenizer: loaded.tokenizer,
      trainDataset,
      reward: onePlusA,
      config: ppoConfig,
    });
    expect(resumed.valueHead).toBe(loaded.valueHead);
    resumed.dispose();
    trainer.dispose();
    for (const object of [model, loaded.model, loaded.valueHead!, asLM.model]) object.dispose();
  });

  it('saves and reloads a separate critic', async () => {
    const dir = path.join(await scratch(), 'ppo-critic');
    const model = tinyGPT();
    const critic = tinyGPT(4);
    const trainer = await PPOTrainer.create({
      model,
      critic,
      tokenizer,
      trainDataset,
      reward: onePlusA,
      config: ppoConfig,
    });
    await trainer.train({ progress: false });
    await trainer.save(dir);
    const loaded = await PPOTrainer.load(dir);
    expect(values(loaded.critic!.namedVariables())).toEqual(values(critic.namedVariables()));
    expect(values(loaded.critic!.namedVariables())).not.toEqual(values(tinyGPT(4).namedVariables()));
    trainer.dispose();
    for (const object of [model, critic, loaded.model, loaded.valueHead!, loaded.critic!]) object.dispose();
  });

  it('a saved SFT model loads as a PPO policy with no value head', async () => {
    const dir = path.join(await scratch(), 'sft');
    const model = tinyGPT();
    const sft = await SFTTrainer.create({
      model,
      tokenizer,
      trainDataset: [{ text: 'a>aa' }, { text: 'b>ab' }],
      config: { totalSteps: 1, perDeviceTrainBatchSize: 2 },
    });
    await sft.train({ progress: false });
    await sft.save(dir);
    sft.dispose();
    const loaded = await PPOTrainer.load(dir);
    expect(loaded.manifest.kind).toBe('sft');
    expect(loaded.valueHead).toBeUndefined();
    expect(values(loaded.model.namedVariables())).toEqual(values(model.namedVariables()));
    const trainer = await PPOTrainer.create({ ...loaded, trainDataset, reward: onePlusA, config: ppoConfig });
    expect(trainer.valueHead.inputSize).toBe(16);
    trainer.dispose();
    model.dispose();
    loaded.model.dispose();
  });

  it('a failed save leaves the previous model intact; a bad directory is named', async () => {
    const dir = path.join(await scratch(), 'ppo');
    const model = tinyGPT();
    const trainer = await PPOTrainer.create({ model, tokenizer, trainDataset, reward: onePlusA, config: ppoConfig });
    await trainer.save(dir);
    const before = await fs.readFile(path.join(dir, VALUE_HEAD_FILES.weights));
    const weightsBefore = await fs.readFile(path.join(dir, 'weights.bin'));
    await trainer.train({ progress: false });
    const spy = vi.spyOn(tokenizer, 'toJSON').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    await expect(trainer.save(dir)).rejects.toThrow('disk full');
    spy.mockRestore();
    expect(await fs.readFile(path.join(dir, VALUE_HEAD_FILES.weights))).toEqual(before);
    expect(await fs.readFile(path.join(dir, 'weights.bin'))).toEqual(weightsBefore);
    expect((await readSavedModelManifest(dir)).step).toBe(0);
    expect(await fs.readdir(path.dirname(dir))).toEqual(['ppo']);

    const missing = path.join(dir, 'nope');
    const error = await PPOTrainer.load(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('dir');
    expect((error as Error).message).toContain(missing);
    // lm refuses extra files that would overwrite the model's own.
    const clash = await saveLanguageModel(dir, {
      kind: 'ppo',
      model,
      tokenizer,
      trainerConfig: {},
      step: 0,
      files: { 'config.json': '{}' },
    }).catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(InvalidArgumentError);
    expect((clash as InvalidArgumentError).argument).toBe('options.files');
    await fs.writeFile(path.join(dir, VALUE_HEAD_FILES.manifest), '{"format": "x"}');
    await expect(PPOTrainer.load(dir)).rejects.toThrow(VALUE_HEAD_FILES.manifest);
    trainer.dispose();
    model.dispose();
  });
});

describe('RLOOTrainer, GRPOTrainer, OnlineDPOTrainer: save / load', () => {
  const groupConfig = {
    totalSteps: 1,
    numGenerations: 2,
    perDeviceTrainBatchSize: 4,
    maxCompletionLength: 5,
    learningRate: 1e-2,
  };
  const cases = [
    [
      'rloo',
      (model: GPT) => RLOOTrainer.create({ model, tokenizer, trainDataset, reward: countA, config: groupConfig }),
    ],
    [
      'grpo',
      (model: GPT) => GRPOTrainer.create({ model, tokenizer, trainDataset, reward: countA, config: groupConfig }),
    ],
    [
      'online-dpo',
      (model: GPT) =>
        OnlineDPOTrainer.create({
          model,
          tokenizer,
          trainDataset,
          reward: countA,
          config: { totalSteps: 1, perDeviceTrainBatchSize: 4, maxNewTokens: 5, learningRate: 1e-2 },
        }),
    ],
  ] as const;
  for (const [kind, create] of cases) {
    it(`${kind}: trainer.json names the kind and step; the policy reloads bit for bit and samples the same`, async () => {
      const dir = path.join(await scratch(), kind);
      const model = tinyGPT();
      const initial = values(model.namedVariables());
      const trainer = await create(model);
      await trainer.train({ progress: false });
      await expectNoLeak(() => trainer.save(dir));
      const loaded = await (trainer.constructor as typeof RLOOTrainer).load(dir);
      expect(loaded.manifest).toMatchObject({ kind, modality: 'lm', step: 1 });
      expect(values(loaded.model.namedVariables())).toEqual(values(model.namedVariables()));
      expect(values(loaded.model.namedVariables())).not.toEqual(initial);
      expect(await samplesOf(loaded.model)).toEqual(await samplesOf(model));
      const gpt = await loadGPT(dir);
      expect(values(gpt.namedVariables())).toEqual(values(model.namedVariables()));
      trainer.dispose();
      for (const object of [model, loaded.model, gpt]) object.dispose();
    });
  }
});
