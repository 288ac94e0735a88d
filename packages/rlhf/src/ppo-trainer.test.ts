import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import type { PPOConfig } from './ppo-config.js';
import { PPO_METRIC_NAMES, PPO_TIMING_METRIC_NAMES, PPO_VALUE_WARMUP_METRIC } from './ppo-metrics.js';
import { PPOTrainer } from './ppo-trainer.js';
import type { RewardFunction } from './reward-source.js';

const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const prompts = ['a>', 'b>', 'c>', 'd>', 'ab>', 'cd>'];
const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (seed = 1): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed });
const base: PPOConfig = {
  totalSteps: 2,
  batchSize: 4,
  numMiniBatches: 2,
  responseLength: 6,
  learningRate: 1e-3,
  temperature: 1,
};

describe('PPOTrainer', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('logs every TRL metric, starts at ratio 1 and KL 0, and leaks nothing', async () => {
    const start = tf.memory().numTensors;
    const policy = tinyGPT();
    const trainer = await PPOTrainer.create({
      policy,
      tokenizer,
      prompts,
      reward: countA,
      config: { ...base, numPpoEpochs: 1, numMiniBatches: 1, klEstimator: 'k3' },
    });
    const before = tf.memory().numTensors;
    const metrics = await trainer.trainStep(0);
    expect(tf.memory().numTensors).toBe(before);
    for (const key of [
      ...PPO_METRIC_NAMES,
      ...Object.values(PPO_TIMING_METRIC_NAMES),
      METRIC_NAMES.loss,
      METRIC_NAMES.gradNorm,
      METRIC_NAMES.learningRate,
    ]) {
      expect(Number.isFinite(metrics[key]), key).toBe(true);
    }
    // One epoch, one minibatch: the only optimisation pass sees exactly the rollout policy.
    expect(metrics[METRIC_NAMES.valRatio]).toBeCloseTo(1, 6);
    expect(metrics[METRIC_NAMES.policyApproxKlAvg]).toBeCloseTo(0, 10);
    expect(metrics[METRIC_NAMES.policyClipfracAvg]).toBe(0);
    // The reference is a clone of the policy: no KL yet.
    expect(metrics[METRIC_NAMES.objectiveKl]).toBeCloseTo(0, 6);
    expect(metrics[METRIC_NAMES.objectiveRlhfReward]).toBeCloseTo(metrics[METRIC_NAMES.objectiveScores]!, 6);
    expect(metrics[METRIC_NAMES.klCoefficient]).toBe(0.05);
    const second = await trainer.trainStep(1);
    expect(second[METRIC_NAMES.objectiveKl]).toBeGreaterThan(0); // k3 >= 0, and the policy moved
    trainer.dispose(); // frees its reference clone, value head and optimiser state
    policy.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('resumes bit-identically: weights, optimiser, generators and the adaptive KL coefficient', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-ppo-'));
    dirs.push(dir);
    const config: PPOConfig = {
      ...base,
      totalSteps: 3,
      klController: 'adaptive',
      klCoef: 0.2,
      klTarget: 0.01,
      klHorizon: 10,
    };
    const weightsOf = (trainer: PPOTrainer): number[][] =>
      [...trainer.namedVariables().values()].map((v) => Array.from(v.dataSync()));
    const make = async (seed: number): Promise<{ policy: GPT; reference: GPT; trainer: PPOTrainer }> => {
      const policy = tinyGPT(seed);
      const reference = tinyGPT(1);
      return {
        policy,
        reference,
        trainer: await PPOTrainer.create({ policy, reference, tokenizer, prompts, reward: countA, config }),
      };
    };
    const straight = await make(1);
    const full = await straight.trainer.train({ progress: false });
    const coefficients = full.history.map((entry) => entry.metrics[METRIC_NAMES.klCoefficient]!);
    expect(coefficients[2]).not.toBe(coefficients[0]); // the controller moved beta

    const first = await make(1);
    const abort = new AbortController();
    const step = first.trainer.trainStep.bind(first.trainer);
    first.trainer.trainStep = async (stepIndex) => {
      const metrics = await step(stepIndex);
      if (stepIndex === 0) abort.abort();
      return metrics;
    };
    await first.trainer.train({ progress: false, checkpoint: { dir, every: 100 }, signal: abort.signal });
    const resumed = await make(77); // another init: everything must come from the checkpoint
    const rest = await resumed.trainer.train({ progress: false, checkpoint: { dir, every: 100, resume: true } });
    expect(rest.startStep).toBe(1);
    expect(rest.history.map((entry) => entry.metrics[METRIC_NAMES.klCoefficient])).toEqual(coefficients.slice(1));
    expect(rest.history.at(-1)!.metrics[METRIC_NAMES.objectiveScores]).toBe(
      full.history.at(-1)!.metrics[METRIC_NAMES.objectiveScores],
    );
    expect(weightsOf(resumed.trainer)).toEqual(weightsOf(straight.trainer));
    for (const run of [straight, first, resumed]) {
      run.trainer.dispose();
      run.policy.dispose();
      run.reference.dispose();
    }
  });

  it('trains a separate critic, penalises missing EOS, and accumulates gradients', async () => {
    const policy = tinyGPT(3);
    const critic = tinyGPT(4);
    const penalty = 2;
    const trainer = await PPOTrainer.create({
      policy,
      critic,
      tokenizer,
      prompts,
      reward: () => 0,
      config: { ...base, responseLength: 2, missingEosPenalty: penalty, gradientAccumulationSteps: 2, numPpoEpochs: 1 },
    });
    const names = [...trainer.namedVariables().keys()];
    expect(names.some((name) => name.startsWith('critic/'))).toBe(true);
    expect(names).toContain('value_head.bias');
    const criticBefore = Array.from(critic.namedVariables().get('h.0.attn.c_attn.kernel')!.dataSync());
    const metrics = await trainer.trainStep(0);
    // Every unfinished completion scores -penalty; finished ones hold exactly one EOS.
    const unfinished = base.batchSize! - metrics[METRIC_NAMES.valNumEosTokens]!;
    expect(metrics[METRIC_NAMES.objectiveScores]).toBeCloseTo((-penalty * unfinished) / base.batchSize!, 6);
    expect(Array.from(critic.namedVariables().get('h.0.attn.c_attn.kernel')!.dataSync())).not.toEqual(criticBefore);
    trainer.dispose();
    policy.dispose();
    critic.dispose();
  });

  it('warms up the critic: the first valueWarmupSteps updates train only the value model', async () => {
    const policy = tinyGPT(6);
    const trainer = await PPOTrainer.create({
      policy,
      tokenizer,
      prompts,
      reward: countA,
      config: { ...base, totalSteps: 4, valueWarmupSteps: 3, klController: 'adaptive', klTarget: 0.01, klHorizon: 10 },
    });
    const policyWeights = () => Array.from(policy.namedVariables().get('h.0.attn.c_attn.kernel')!.dataSync());
    const headWeights = () => Array.from(trainer.valueHead.namedVariables().get('value_head.kernel')!.dataSync());
    const policyBefore = policyWeights();
    const headBefore = headWeights();
    const valueLosses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const metrics = await trainer.trainStep(step);
      expect(metrics[PPO_VALUE_WARMUP_METRIC]).toBe(1);
      expect(metrics[METRIC_NAMES.klCoefficient]).toBe(0.05); // the controller waits for the policy
      valueLosses.push(metrics[METRIC_NAMES.lossValueAvg]!);
    }
    expect(policyWeights()).toEqual(policyBefore);
    expect(headWeights()).not.toEqual(headBefore);
    // The optimised loss during warm-up is the value loss itself.
    const after = await trainer.trainStep(3);
    expect(after[PPO_VALUE_WARMUP_METRIC]).toBe(0);
    expect(policyWeights()).not.toEqual(policyBefore);
    expect(trainer.klController.value).not.toBe(0.05); // moves once the policy trains
    expect(valueLosses.every(Number.isFinite)).toBe(true);
    await expect(
      PPOTrainer.create({ policy, tokenizer, prompts, reward: countA, config: { ...base, valueWarmupSteps: -1 } }),
    ).rejects.toThrow(/config.valueWarmupSteps/);
    trainer.dispose();
    policy.dispose();
  });

  it('takes the shared trainer shape (model, trainDataset, evalDataset) and evaluates with eval_ keys', async () => {
    const model = tinyGPT(7);
    const trainDataset = prompts.map((prompt) => ({ prompt }));
    const trainer = await PPOTrainer.create({
      model,
      tokenizer,
      trainDataset,
      evalDataset: trainDataset.slice(0, 3),
      reward: countA,
      config: { ...base, totalSteps: 2, evalSteps: 2 },
    });
    expect(trainer.model).toBe(model);
    expect(trainer.policy).toBe(model);
    const direct = await trainer.evaluate();
    expect(Object.keys(direct).every((key) => key.startsWith('eval_'))).toBe(true);
    expect(Number.isFinite(direct.eval_reward)).toBe(true);
    const warnings: string[] = [];
    const evaluations: string[][] = [];
    await trainer.train({
      progress: false,
      onWarning: (message) => warnings.push(message),
      onLog: ({ split, metrics }) => {
        if (split === 'eval') evaluations.push(Object.keys(metrics));
      },
    });
    expect(warnings).toEqual([]);
    expect(evaluations.length).toBe(1); // after update 2
    expect(evaluations[0]).toContain('eval_reward');
    trainer.dispose();
    // The deprecated names still work, reported through onWarning; mixing both is refused.
    const legacy = await PPOTrainer.create({
      policy: model,
      tokenizer,
      prompts,
      reward: countA,
      config: { ...base, totalSteps: 1 },
    });
    await legacy.train({ progress: false, onWarning: (message) => warnings.push(message) });
    expect(warnings).toEqual([
      'PPOTrainer.create: `policy` is deprecated; use `model`',
      'PPOTrainer.create: `prompts` is deprecated; use `trainDataset`',
    ]);
    legacy.dispose();
    await expect(
      PPOTrainer.create({ model, policy: model, tokenizer, trainDataset, reward: countA, config: base }),
    ).rejects.toThrow(/policy must be absent when model is given/);
    await expect(PPOTrainer.create({ tokenizer, trainDataset, reward: countA, config: base })).rejects.toThrow(/model/);
    model.dispose();
  });

  it('samples completions for evaluation without touching the training state', async () => {
    const policy = tinyGPT(5);
    const trainer = await PPOTrainer.create({ policy, tokenizer, prompts, reward: countA, config: base });
    const a = await trainer.generateCompletions(['a>', 'b>'], { seed: 9 });
    const b = await trainer.generateCompletions(['a>', 'b>'], { seed: 9 });
    expect(a).toEqual(b);
    expect(a.meanScore).toBeCloseTo((a.scores[0]! + a.scores[1]!) / 2, 10);
    trainer.dispose();
    policy.dispose();
  });

  it('names bad options', async () => {
    const policy = tinyGPT();
    const other = new GPT({ vocabSize: tokenizer.vocabSize + 1, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2 });
    await expect(
      PPOTrainer.create({ policy, tokenizer, prompts: ['a'], reward: countA, config: base }),
    ).rejects.toThrow(/prompts/);
    await expect(
      PPOTrainer.create({ policy, reference: other, tokenizer, prompts, reward: countA, config: base }),
    ).rejects.toThrow(/referenceModel.vocabSize/);
    await expect(
      PPOTrainer.create({ policy, reference: policy, tokenizer, prompts, reward: countA, config: base }),
    ).rejects.toThrow(/reference/);
    await expect(
      PPOTrainer.create({
        policy,
        tokenizer,
        prompts,
        reward: countA,
        config: { ...base, responseLength: 12, maxPromptLength: 2 },
      }),
    ).rejects.toThrow(/config.maxPromptLength/);
    policy.dispose();
    other.dispose();
  });
});
