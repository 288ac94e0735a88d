import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import type { RewardFunction } from '../reward-source.js';
import { rlooAdvantages } from './group-advantages.js';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import { RLOOTrainer } from './rloo-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const trainDataset = ['a>', 'b>', 'c>', 'd>'].map((prompt) => ({ prompt }));
const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (seed = 1): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed });
const config = {
  totalSteps: 2,
  numGenerations: 2,
  perDeviceTrainBatchSize: 4,
  maxCompletionLength: 6,
  learningRate: 1e-3,
};

describe('RLOOTrainer', () => {
  it('penalises the reward by β x the sequence KL before the leave-one-out baseline', async () => {
    const model = tinyGPT();
    const reference = tinyGPT(2); // a different reference: the KL is not 0
    const trainer = await RLOOTrainer.create({
      model,
      referenceModel: reference,
      tokenizer,
      trainDataset,
      reward: countA,
      config: { ...config, beta: 0.5 },
    });
    const rollout = await trainer.rollout(0);
    const T = rollout.layout.responseLength;
    const kl = rollout.rewards.map((_, row) => {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += rollout.oldLogProbs[row * T + t]! - rollout.referenceLogProbs![row * T + t]!;
      return sum;
    });
    // biome-ignore lint/complexity/useLiteralKeys: a protected method, read by its test
    const computed = trainer['advantagesOf'](rollout);
    const expected = rlooAdvantages(
      rollout.rewards.map((r, i) => r - 0.5 * kl[i]!),
      2,
    ).advantages;
    // With G = 2 the leave-one-out advantages of a pair are ±(r'_0 - r'_1).
    expect(computed.advantages[0]).toBeCloseTo(-computed.advantages[1]!, 6);
    computed.advantages.forEach((a, i) => {
      expect(a).toBeCloseTo(expected[i]!, 6);
    });
    expect(computed.metrics[GROUP_METRIC_NAMES.kl]).toBeCloseTo(kl.reduce((a, b) => a + b, 0) / kl.length, 6);
    expect(Math.abs(computed.metrics[GROUP_METRIC_NAMES.kl]!)).toBeGreaterThan(0);
    trainer.dispose();
    model.dispose();
    reference.dispose();
  });

  it('trains, logs TRL metrics, resumes from a checkpoint bit-identically and leaks nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-rloo-'));
    try {
      const run = async (stopAfter: number | undefined, resume: boolean) => {
        const model = tinyGPT();
        const trainer = await RLOOTrainer.create({
          model,
          tokenizer,
          trainDataset,
          reward: countA,
          config: { ...config, totalSteps: 3 },
        });
        const controller = new AbortController();
        const result = await trainer.train({
          progress: false,
          checkpoint: {
            dir: join(dir, resume || stopAfter !== undefined ? 'resumed' : 'straight'),
            every: 1,
            resume: resume ? true : 'auto',
          },
          signal: controller.signal,
          onLog: ({ step }) => {
            if (step === stopAfter) controller.abort();
          },
        });
        const weights = model.namedVariables().get('wte')!.dataSync().slice();
        trainer.dispose();
        model.dispose();
        return { result, weights };
      };
      const start = tf.memory().numTensors;
      const straight = await run(undefined, false);
      const last = straight.result.history.at(-1)!.metrics;
      for (const key of [
        GROUP_METRIC_NAMES.reward,
        GROUP_METRIC_NAMES.kl,
        GROUP_METRIC_NAMES.meanLength,
        METRIC_NAMES.loss,
      ])
        expect(Number.isFinite(last[key]), key).toBe(true);
      await run(1, false);
      const resumed = await run(undefined, true);
      expect(Array.from(resumed.weights)).toEqual(Array.from(straight.weights));
      expect(tf.memory().numTensors).toBe(start);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
