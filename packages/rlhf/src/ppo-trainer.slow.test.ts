// PPO's "it learns" tests, on wasm through core's selectBackend (one thread): a tiny GPT
// learns to emit the letter its reward counts, from a plain reward function and from a
// Bradley-Terry reward model trained on pairs labelled by the same count. Measured on a
// 2-core machine: ~18 s and ~16 s; the true reward goes from 0.78 to ~12 "a"s per completion
// (the maximum), with objective/kl ~16-22 nats per completion.
import * as tf from '@tensorflow/tfjs-core';
import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend } from '@dpo-ts/core/backend';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { RewardTrainer, SequenceRewardModel } from '@dpo-ts/reward';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PPOTrainer } from './ppo-trainer.js';
import { rewardModelScorer } from './reward-model-scorer.js';

const LETTERS = 'abcd';
const tokenizer = CharTokenizer.fromCorpus([`${LETTERS} >`]);
const countA = (_prompt: string, completion: string): number => [...completion].filter((c) => c === 'a').length;
const trainPrompts = Array.from({ length: 64 }, (_, i) => `${LETTERS[i % 4]}${LETTERS[(i >> 2) % 4]}>`);
const heldOutPrompts = Array.from({ length: 32 }, (_, i) => `${LETTERS[(i + 1) % 4]}${LETTERS[(i >> 3) % 4]}>`);
const tinyPolicy = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 32, nLayer: 2, nHead: 2, seed: 1 });

/** Mean true reward (count of "a") of held-out samples. */
async function heldOutReward(trainer: PPOTrainer): Promise<number> {
  const { completions } = await trainer.generateCompletions(heldOutPrompts, { seed: 1 });
  return completions.reduce((total, completion) => total + countA('', completion), 0) / completions.length;
}

describe('PPOTrainer learns (wasm)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('raises the reward of a plain reward function while the KL stays finite', async () => {
    const policy = tinyPolicy();
    const trainer = await PPOTrainer.create({
      policy,
      tokenizer,
      prompts: trainPrompts,
      reward: countA,
      config: {
        totalSteps: 20,
        batchSize: 16,
        numMiniBatches: 2,
        responseLength: 12,
        learningRate: 3e-3,
        lrSchedule: 'constant',
        temperature: 1,
      },
    });
    const before = await heldOutReward(trainer);
    const tensors = tf.memory().numTensors;
    const result = await trainer.train({ progress: false });
    expect(tf.memory().numTensors).toBe(tensors);
    const after = await heldOutReward(trainer);
    const last = result.history.at(-1)!.metrics;
    console.info(
      `PPO, plain reward: held-out mean reward ${before.toFixed(2)} -> ${after.toFixed(2)}; ` +
        `final objective/kl ${last[METRIC_NAMES.objectiveKl]!.toFixed(2)}, objective/scores ${last[METRIC_NAMES.objectiveScores]!.toFixed(2)}, ` +
        `${result.wallTimeSeconds.toFixed(1)} s`,
    );
    expect(before).toBeLessThan(2);
    expect(after).toBeGreaterThan(before + 3);
    expect(Number.isFinite(last[METRIC_NAMES.objectiveKl])).toBe(true);
    expect(last[METRIC_NAMES.objectiveKl]).toBeGreaterThan(0);
    expect(last[METRIC_NAMES.objectiveRlhfReward]).toBeLessThan(last[METRIC_NAMES.objectiveScores]!);
    trainer.dispose();
    policy.dispose();
  });

  it('raises the true reward when optimising a learned Bradley-Terry reward model (k3, adaptive KL)', async () => {
    // 1. A reward model from pairs labelled by the count of "a" (chosen has more).
    const rng = new Rng(5);
    const word = (): string => Array.from({ length: 2 + rng.int(10) }, () => LETTERS[rng.int(4)]).join('');
    const pairs = [];
    while (pairs.length < 384) {
      const [x, y] = [word(), word()];
      if (countA('', x) !== countA('', y))
        pairs.push({
          prompt: '>',
          chosen: countA('', x) > countA('', y) ? x : y,
          rejected: countA('', x) > countA('', y) ? y : x,
          extra: {},
        });
    }
    const rewardModel = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed: 7 }),
      { headSeed: 7 },
    );
    const rewardTrainer = await RewardTrainer.create({
      model: rewardModel,
      tokenizer,
      trainDataset: pairs.slice(0, 320),
      evalDataset: pairs.slice(320),
      config: { totalSteps: 100, perDeviceTrainBatchSize: 16, learningRate: 3e-3, lrSchedule: 'constant' },
    });
    await rewardTrainer.train({ progress: false });
    const rewardAccuracy = (await rewardTrainer.evaluate())[evalKey(METRIC_NAMES.accuracy)]!;
    rewardTrainer.dispose();
    expect(rewardAccuracy).toBeGreaterThan(0.85);

    // 2. PPO against the reward model; the true count is only measured.
    const policy = tinyPolicy();
    const trainer = await PPOTrainer.create({
      policy,
      tokenizer,
      prompts: trainPrompts,
      reward: rewardModelScorer(rewardModel, tokenizer),
      config: {
        totalSteps: 20,
        batchSize: 16,
        numMiniBatches: 2,
        responseLength: 12,
        learningRate: 3e-3,
        lrSchedule: 'constant',
        temperature: 1,
        klEstimator: 'k3',
        klController: 'adaptive',
        klCoef: 0.05,
        klTarget: 4,
        klHorizon: 200,
      },
    });
    const before = await heldOutReward(trainer);
    const result = await trainer.train({ progress: false });
    const after = await heldOutReward(trainer);
    const first = result.history[0]!.metrics;
    const last = result.history.at(-1)!.metrics;
    console.info(
      `PPO, reward model (held-out accuracy ${rewardAccuracy.toFixed(3)}): true held-out reward ${before.toFixed(2)} -> ${after.toFixed(2)}; ` +
        `objective/scores ${first[METRIC_NAMES.objectiveScores]!.toFixed(2)} -> ${last[METRIC_NAMES.objectiveScores]!.toFixed(2)}, ` +
        `objective/kl ${last[METRIC_NAMES.objectiveKl]!.toFixed(2)}, kl_coef ${first[METRIC_NAMES.klCoefficient]} -> ${last[METRIC_NAMES.klCoefficient]!.toFixed(4)}, ` +
        `${result.wallTimeSeconds.toFixed(1)} s`,
    );
    expect(after).toBeGreaterThan(before + 2);
    expect(last[METRIC_NAMES.objectiveScores]).toBeGreaterThan(first[METRIC_NAMES.objectiveScores]!);
    expect(Number.isFinite(last[METRIC_NAMES.objectiveKl])).toBe(true);
    // KL above target: the adaptive controller raised beta.
    expect(last[METRIC_NAMES.klCoefficient]).toBeGreaterThan(0.05);
    trainer.dispose();
    policy.dispose();
    rewardModel.dispose();
  });
});
