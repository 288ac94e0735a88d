import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import type { RewardFunction } from '../reward-source.js';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import { GRPOTrainer } from './grpo-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const trainDataset = ['a>', 'b>', 'c>', 'd>'].map((prompt) => ({ prompt }));
const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed: 1 });

describe('GRPOTrainer', () => {
  it('logs TRL metrics, starts at ratio 1 (no clipping) and KL 0, evaluates with eval_ keys, leaks nothing', async () => {
    const start = tf.memory().numTensors;
    const model = tinyGPT();
    const trainer = await GRPOTrainer.create({
      model,
      tokenizer,
      trainDataset,
      evalDataset: trainDataset.slice(0, 2),
      reward: countA,
      config: {
        totalSteps: 2,
        numGenerations: 4,
        perDeviceTrainBatchSize: 4,
        gradientAccumulationSteps: 2,
        maxCompletionLength: 6,
        beta: 0.1,
        learningRate: 1e-3,
      },
    });
    expect(trainer.referenceModel).toBeDefined(); // beta > 0: a frozen clone
    const before = tf.memory().numTensors;
    const metrics = await trainer.trainStep(0);
    expect(tf.memory().numTensors).toBe(before);
    for (const key of [
      ...Object.values(GROUP_METRIC_NAMES),
      METRIC_NAMES.loss,
      METRIC_NAMES.gradNorm,
      METRIC_NAMES.learningRate,
    ]) {
      expect(Number.isFinite(metrics[key]), key).toBe(true);
    }
    expect(metrics[GROUP_METRIC_NAMES.clipRatioRegion]).toBe(0);
    expect(metrics[GROUP_METRIC_NAMES.kl]).toBeCloseTo(0, 6); // the reference is the policy's clone
    expect(metrics[GROUP_METRIC_NAMES.maxLength]).toBeLessThanOrEqual(6);
    const evaluation = await trainer.evaluate();
    expect(Object.keys(evaluation).every((key) => key.startsWith('eval_'))).toBe(true);
    expect(Number.isFinite(evaluation.eval_reward)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('gives the same first update with one micro-batch or two (normalisation by the step counts)', async () => {
    const weightsAfter = async (perDeviceTrainBatchSize: number, gradientAccumulationSteps: number) => {
      const model = tinyGPT();
      const trainer = await GRPOTrainer.create({
        model,
        tokenizer,
        trainDataset,
        reward: countA,
        config: {
          totalSteps: 1,
          numGenerations: 4,
          perDeviceTrainBatchSize,
          gradientAccumulationSteps,
          maxCompletionLength: 6,
          learningRate: 1e-2,
          lossType: 'grpo',
        },
      });
      const metrics = await trainer.trainStep(0);
      const values = model.namedVariables().get('wte')!.dataSync().slice();
      trainer.dispose();
      model.dispose();
      return { loss: metrics[METRIC_NAMES.loss]!, values };
    };
    const whole = await weightsAfter(8, 1);
    const split = await weightsAfter(4, 2);
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    let maxDifference = 0;
    whole.values.forEach((value, i) => {
      maxDifference = Math.max(maxDifference, Math.abs(value - split.values[i]!));
    });
    expect(maxDifference).toBeLessThan(1e-5);
  });

  it('validates the config and the dataset, naming the field', async () => {
    const model = tinyGPT();
    const create = (config: object, dataset = trainDataset) =>
      GRPOTrainer.create({
        model,
        tokenizer,
        trainDataset: dataset,
        reward: countA,
        config: { totalSteps: 1, ...config },
      });
    await expect(create({ numGenerations: 3, perDeviceTrainBatchSize: 8, maxCompletionLength: 4 })).rejects.toThrow(
      /divisible by numGenerations = 3: got 8/,
    );
    await expect(create({ numGenerations: 1, maxCompletionLength: 4 })).rejects.toThrow(/config.numGenerations/);
    await expect(create({ lossType: 'ppo', maxCompletionLength: 4 })).rejects.toThrow(/config.lossType/);
    await expect(create({ maxCompletionLength: 4, num_generations: 2 })).rejects.toThrow(/num_generations/);
    await expect(create({ maxCompletionLength: 4, numGenerations: 2 }, [{ prompt: 'a>' }])).rejects.toThrow(
      /trainDataset/,
    );
    await expect(create({})).rejects.toThrow(/maxPromptLength/); // 256 tokens do not fit a context of 12
    model.dispose();
  });
});
