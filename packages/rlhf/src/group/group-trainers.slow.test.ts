// GRPO's and RLOO's "it learns" tests, on wasm through core's selectBackend (one thread): a tiny
// GPT learns to emit the letter its reward counts, from a plain reward function, as PPO's slow
// test does. The held-out reward is measured with `evaluate()` (a fresh seeded sampler).
// Measured on a 2-core machine: ~5 s each; held-out reward 0.88 -> 11.4 (GRPO) and 0.88 -> 10.8
// (RLOO) "a"s per 12-token completion (the maximum is 12).
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dpo-ts/core/backend';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import type { GroupConfig } from './group-config.js';
import { GRPOTrainer } from './grpo-trainer.js';
import { RLOOTrainer } from './rloo-trainer.js';

const LETTERS = 'abcd';
const tokenizer = CharTokenizer.fromCorpus([`${LETTERS} >`]);
const countA = (_prompt: string, completion: string): number => [...completion].filter((c) => c === 'a').length;
const trainDataset = Array.from({ length: 64 }, (_, i) => ({ prompt: `${LETTERS[i % 4]}${LETTERS[(i >> 2) % 4]}>` }));
const evalDataset = Array.from({ length: 32 }, (_, i) => ({
  prompt: `${LETTERS[(i + 1) % 4]}${LETTERS[(i >> 3) % 4]}>`,
}));
const tinyPolicy = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 32, nLayer: 2, nHead: 2, seed: 1 });
const config: GroupConfig = {
  totalSteps: 30,
  numGenerations: 4,
  perDeviceTrainBatchSize: 16,
  maxCompletionLength: 12,
  learningRate: 3e-3,
  lrSchedule: 'constant',
};

describe('critic-free trainers learn (wasm)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, create] of [
    [
      'GRPO (beta 0.04, two iterations per batch)',
      (model: GPT) =>
        GRPOTrainer.create({
          model,
          tokenizer,
          trainDataset,
          evalDataset,
          reward: countA,
          config: { ...config, beta: 0.04, numIterations: 2 },
        }),
    ],
    [
      'RLOO (beta 0.05)',
      (model: GPT) => RLOOTrainer.create({ model, tokenizer, trainDataset, evalDataset, reward: countA, config }),
    ],
  ] as const) {
    it(`${name} raises the held-out reward`, async () => {
      const model = tinyPolicy();
      const trainer = await create(model);
      const before = (await trainer.evaluate()).eval_reward!;
      const tensors = tf.memory().numTensors;
      const result = await trainer.train({ progress: false });
      expect(tf.memory().numTensors).toBe(tensors);
      const after = (await trainer.evaluate()).eval_reward!;
      const first = result.history[0]!.metrics;
      const last = result.history.at(-1)!.metrics;
      console.info(
        `${name}: held-out reward ${before.toFixed(2)} -> ${after.toFixed(2)}; train reward ` +
          `${first[GROUP_METRIC_NAMES.reward]!.toFixed(2)} -> ${last[GROUP_METRIC_NAMES.reward]!.toFixed(2)}, ` +
          `kl ${last[GROUP_METRIC_NAMES.kl]?.toFixed(3)}, clip_ratio ${last[GROUP_METRIC_NAMES.clipRatioRegion]?.toFixed(3)}, ` +
          `${result.wallTimeSeconds.toFixed(1)} s`,
      );
      expect(before).toBeLessThan(2);
      expect(after).toBeGreaterThan(before + 3);
      expect(Number.isFinite(last[GROUP_METRIC_NAMES.kl])).toBe(true);
      trainer.dispose();
      model.dispose();
    }, 300_000);
  }
});
