import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { loadPreferenceJsonl } from '@dpo-ts/core/data';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import { LETTERS, letterCountPairs } from './letter-count-pairs.test-helper.js';
import { RewardTrainer } from './reward-trainer.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

const tokenizer = CharTokenizer.fromCorpus([`>${LETTERS}`]);

function tinyRewardModel(seed = 7): SequenceRewardModel {
  return new SequenceRewardModel(
    new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed }),
    { headSeed: seed },
  );
}

describe('RewardTrainer', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('resumes from a checkpoint bit-identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-reward-'));
    dirs.push(dir);
    const train = letterCountPairs(40, 3);
    const config = { totalSteps: 6, perDeviceTrainBatchSize: 8, learningRate: 1e-2 };
    const weightsOf = (model: SequenceRewardModel): number[][] =>
      [...model.namedVariables().values()].map((v) => Array.from(v.dataSync()));

    const straightModel = tinyRewardModel(11);
    const straight = await RewardTrainer.create({ model: straightModel, tokenizer, trainDataset: train, config });
    await straight.train({ progress: false });
    const expected = weightsOf(straightModel);

    // Interrupted after 3 steps (the abort saves a checkpoint), then resumed by fresh objects.
    const firstModel = tinyRewardModel(11);
    const first = await RewardTrainer.create({ model: firstModel, tokenizer, trainDataset: train, config });
    const abort = new AbortController();
    const step = first.trainStep.bind(first);
    first.trainStep = async (stepIndex) => {
      const metrics = await step(stepIndex);
      if (stepIndex === 2) abort.abort();
      return metrics;
    };
    const interrupted = await first.train({ progress: false, checkpoint: { dir, every: 100 }, signal: abort.signal });
    expect(interrupted.aborted).toBe(true);
    expect(interrupted.completedSteps).toBe(3);

    const resumedModel = tinyRewardModel(99); // different init: everything must come from the checkpoint
    const resumed = await RewardTrainer.create({ model: resumedModel, tokenizer, trainDataset: train, config });
    const rest = await resumed.train({ progress: false, checkpoint: { dir, every: 100, resume: true } });
    expect(rest.startStep).toBe(3);
    expect(weightsOf(resumedModel)).toEqual(expected);

    for (const object of [straight, first, resumed]) object.dispose();
    for (const model of [straightModel, firstModel, resumedModel]) model.dispose();
  });

  it('reads the JSONL margin field, drops over-long pairs and validates its config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-reward-'));
    dirs.push(dir);
    const file = join(dir, 'pairs.jsonl');
    await writeFile(
      file,
      '{"prompt": ">", "chosen": "aa", "rejected": "bb", "margin": 0.5}\n{"prompt": ">", "chosen": "abcdabcdabcd", "rejected": "a"}\n',
    );
    const records = await loadPreferenceJsonl(file);
    const long = records[1]!;
    const model = tinyRewardModel(5);
    const trainer = await RewardTrainer.create({
      model,
      tokenizer,
      trainDataset: records,
      evalDataset: records,
      config: { totalSteps: 1 },
    });
    expect(trainer.dropped.train).toEqual([1]);
    expect(trainer.trainPairs[0]!.margin).toBe(0.5);
    expect(trainer.batchForStep(0).hasMargins).toBe(true);
    const withMargin = await trainer.evaluate();
    const rewards = await model.scoreTexts(tokenizer, [
      { prompt: '>', completion: 'aa' },
      { prompt: '>', completion: 'bb' },
    ]);
    const expectedLoss = Math.log1p(Math.exp(-(rewards[0]! - rewards[1]! - 0.5)));
    expect(withMargin[evalKey(METRIC_NAMES.loss)]).toBeCloseTo(expectedLoss, 5);
    expect(withMargin[evalKey(METRIC_NAMES.margin)]).toBeCloseTo(rewards[0]! - rewards[1]!, 5);
    trainer.dispose();
    await expect(
      RewardTrainer.create({
        model,
        tokenizer,
        trainDataset: records,
        config: { totalSteps: 1, perDeviceTrainBatchSize: 0 },
      }),
    ).rejects.toThrow(/config.perDeviceTrainBatchSize/);
    await expect(
      RewardTrainer.create({ model, tokenizer, trainDataset: records, config: { totalSteps: 1, maxLength: 13 } }),
    ).rejects.toThrow(/config.maxLength/);
    await expect(
      RewardTrainer.create({
        model,
        tokenizer,
        trainDataset: records,
        config: { totalSteps: 1, lerningRate: 1 } as never,
      }),
    ).rejects.toThrow(/config.lerningRate/);
    await expect(
      RewardTrainer.create({ model, tokenizer, trainDataset: [long], config: { totalSteps: 1 } }),
    ).rejects.toThrow(/trainDataset/);
    await expect(
      RewardTrainer.create({
        model,
        tokenizer,
        trainDataset: [{ ...long, chosen: 'a', extra: { margin: 'x' } }],
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow(/records\[0\].extra.margin/);
    model.dispose();
  });
});
