import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataFormatError } from '@dpo-ts/core';
import { CharTokenizer, GPT, loadGPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRewardModel, saveRewardModel } from './reward-model-io.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

const tokenizer = CharTokenizer.fromCorpus(['> abcd']);

describe('saveRewardModel / loadRewardModel', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('round-trips weights and rewards; the backbone alone loads with loadGPT', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'dpo-ts-rm-')), 'model');
    dirs.push(dir);
    const model = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 8, nLayer: 1, nHead: 2, seed: 3 }),
      { headSeed: 5, headInitStd: 1 },
    );
    const pairs = [
      { prompt: '>', completion: 'abca' },
      { prompt: '>', completion: 'dd' },
    ];
    const expected = await model.scoreTexts(tokenizer, pairs);
    const before = tf.memory().numTensors;
    await saveRewardModel(model, dir);
    expect(tf.memory().numTensors).toBe(before);
    const loaded = await loadRewardModel(dir);
    expect(await loaded.scoreTexts(tokenizer, pairs)).toEqual(expected);
    expect(loaded.backbone.config).toEqual(model.backbone.config);
    const backbone = await loadGPT(dir);
    expect(Array.from(backbone.namedVariables().get('wte')!.dataSync())).toEqual(
      Array.from(model.backbone.namedVariables().get('wte')!.dataSync()),
    );
    backbone.dispose();
    loaded.dispose();
    model.dispose();
  });

  it('reports a malformed head file by name', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'dpo-ts-rm-')), 'model');
    dirs.push(dir);
    const model = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 8, dModel: 8, nLayer: 1, nHead: 2 }),
    );
    await saveRewardModel(model, dir);
    model.dispose();
    const before = tf.memory().numTensors;
    const manifest = JSON.parse(await readFile(join(dir, 'reward-head.json'), 'utf8'));
    await writeFile(join(dir, 'reward-head.json'), JSON.stringify({ ...manifest, model: 'other' }));
    await expect(loadRewardModel(dir)).rejects.toThrow(DataFormatError);
    await writeFile(join(dir, 'reward-head.json'), JSON.stringify(manifest));
    await writeFile(join(dir, 'reward-head.bin'), new Uint8Array(4));
    await expect(loadRewardModel(dir)).rejects.toThrow(/reward-head.bin/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
