import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { ONLINE_DPO_METRIC_NAMES } from './online-dpo-rollout.js';
import { OnlineDPOTrainer } from './online-dpo-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const trainDataset = ['a>', 'b>', 'c>', 'd>'].map((prompt) => ({ prompt }));
const countA = (_prompt: string, completion: string): number => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed: 1 });
const config = {
  totalSteps: 2,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 2,
  maxNewTokens: 6,
  learningRate: 1e-3,
};

describe('OnlineDPOTrainer', () => {
  it('labels fresh pairs by reward; at step 0 (policy = reference) the sigmoid loss is log 2; no leak', async () => {
    const start = tf.memory().numTensors;
    const model = tinyGPT();
    const trainer = await OnlineDPOTrainer.create({
      model,
      tokenizer,
      trainDataset,
      evalDataset: trainDataset,
      reward: countA,
      config,
    });
    const batch = await trainer.samplePairs(0);
    const scores = batch.completions.map((completion) => countA('', completion));
    batch.pairs.chosenRows.forEach((row, i) => {
      expect(scores[row]).toBeGreaterThanOrEqual(scores[batch.pairs.rejectedRows[i]!]!);
      expect(new Set([row, batch.pairs.rejectedRows[i]]).size).toBe(2);
      expect([row % 4, batch.pairs.rejectedRows[i]! % 4]).toEqual([i, i]); // the same prompt's two completions
    });
    const before = tf.memory().numTensors;
    const metrics = await trainer.trainStep(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(metrics[METRIC_NAMES.loss]).toBeCloseTo(Math.log(2), 5);
    expect(metrics[METRIC_NAMES.rewardsMargins]).toBeCloseTo(0, 6);
    expect(metrics[METRIC_NAMES.objectiveKl]).toBeCloseTo(0, 5);
    expect(metrics[ONLINE_DPO_METRIC_NAMES.beta]).toBe(0.1);
    for (const key of [
      METRIC_NAMES.objectiveScores,
      METRIC_NAMES.objectiveRlhfReward,
      ONLINE_DPO_METRIC_NAMES.scoresMargin,
      ONLINE_DPO_METRIC_NAMES.containEosToken,
      METRIC_NAMES.logpsChosen,
      METRIC_NAMES.gradNorm,
    ])
      expect(Number.isFinite(metrics[key]), key).toBe(true);
    expect(metrics[ONLINE_DPO_METRIC_NAMES.scoresMargin]).toBeGreaterThanOrEqual(0);
    const second = await trainer.trainStep(1);
    expect(second[METRIC_NAMES.objectiveKl]).not.toBe(0); // the policy moved
    expect(Number.isFinite((await trainer.evaluate()).eval_reward)).toBe(true);
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('takes any core loss (ipo: (margin - 1/(2β))^2 = 25 at margin 0, β 0.1) and a judge, evaluated by win rate', async () => {
    const model = tinyGPT();
    const judged: string[] = [];
    const trainer = await OnlineDPOTrainer.create({
      model,
      tokenizer,
      trainDataset,
      evalDataset: trainDataset.slice(0, 2),
      judge: (prompt, [first, second]) => {
        judged.push(prompt);
        return countA('', first) >= countA('', second) ? 0 : 1;
      },
      config: { ...config, lossType: 'ipo', beta: 0.1 },
    });
    const metrics = await trainer.trainStep(0);
    expect(judged).toHaveLength(4);
    expect(metrics[METRIC_NAMES.loss]).toBeCloseTo(25, 3);
    expect(metrics[METRIC_NAMES.objectiveScores]).toBeUndefined(); // a judge gives no scores
    const evaluation = await trainer.evaluate();
    expect(evaluation.eval_win_rate).toBeGreaterThanOrEqual(0);
    expect(evaluation.eval_win_rate).toBeLessThanOrEqual(1);
    trainer.dispose();
    model.dispose();
  });

  it('needs exactly one labeler and names bad fields', async () => {
    const model = tinyGPT();
    const create = (extra: object) =>
      OnlineDPOTrainer.create({ model, tokenizer, trainDataset, config, ...extra } as never);
    await expect(create({})).rejects.toThrow(/reward \/ judge.*neither/);
    await expect(create({ reward: countA, judge: () => 0 })).rejects.toThrow(/both/);
    await expect(create({ reward: countA, config: { ...config, lossType: 'nope' } })).rejects.toThrow(/lossType/);
    await expect(create({ reward: countA, config: { ...config, max_new_tokens: 3 } })).rejects.toThrow(
      /max_new_tokens/,
    );
    model.dispose();
  });
});
