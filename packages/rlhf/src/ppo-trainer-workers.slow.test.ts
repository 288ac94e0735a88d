import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_NAMES, type NamedVariables } from '@dpo-ts/core';
import type { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import type { PPOConfig } from './ppo-config.js';
import { PPOTrainer } from './ppo-trainer.js';
import type { RewardFunction } from './reward-source.js';

// Workers import '@dpo-ts/rlhf' from dist/: these tests need `npm run build` first.
const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const prompts = ['a>', 'b>', 'c>', 'd>', 'ab>', 'cd>'];
const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (seed: number): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed });
// Two minibatches of two micro-batches each, two PPO epochs: 4 optimiser steps per update.
const CONFIG: PPOConfig = {
  totalSteps: 3,
  batchSize: 4,
  numMiniBatches: 2,
  gradientAccumulationSteps: 2,
  numPpoEpochs: 2,
  responseLength: 5,
  learningRate: 3e-3,
  temperature: 1,
};
const weights = (named: NamedVariables): number[] =>
  [...named.values()].flatMap((variable) => Array.from(variable.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
const engineOf = (trainer: PPOTrainer) =>
  (trainer as unknown as { updateEngine?: GradientWorkerPool<unknown> }).updateEngine;
const OPTIMIZATION_METRICS = [
  METRIC_NAMES.loss,
  METRIC_NAMES.lossPolicyAvg,
  METRIC_NAMES.lossValueAvg,
  METRIC_NAMES.policyApproxKlAvg,
  METRIC_NAMES.valRatio,
  METRIC_NAMES.policyEntropyAvg,
  METRIC_NAMES.gradNorm,
];

describe('PPOTrainer with gradient workers', () => {
  const owned: { dispose(): void }[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const object of owned) object.dispose();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function create(workers: number, critic: boolean, extra: Partial<PPOConfig> = {}) {
    const model = tinyGPT(3);
    owned.push(model);
    const separate = critic ? tinyGPT(4) : undefined;
    if (separate) owned.push(separate);
    const trainer = await PPOTrainer.create({
      model,
      ...(separate ? { critic: separate } : {}),
      tokenizer,
      trainDataset: prompts.map((prompt) => ({ prompt })),
      reward: countA,
      config: { ...CONFIG, ...extra, workers },
    });
    owned.push(trainer);
    return trainer;
  }

  async function run(workers: number, critic: boolean) {
    const trainer = await create(workers, critic);
    const history: Record<string, number>[] = [];
    const workerTensors: Promise<number[]>[] = [];
    await trainer.train({
      progress: false,
      onLog: ({ step, metrics }) => {
        history.push(Object.fromEntries(OPTIMIZATION_METRICS.map((key) => [key, metrics[key]!])));
        const engine = engineOf(trainer);
        if (step < CONFIG.totalSteps) workerTensors.push(engine?.workerTensorCounts() ?? Promise.resolve([]));
      },
    });
    expect(engineOf(trainer)).toBeUndefined(); // closed after train()
    return { history, weights: weights(trainer.namedVariables()), workerTensors: await Promise.all(workerTensors) };
  }

  for (const critic of [false, true]) {
    it(`trains as with 1 worker, leaking nothing per worker (${critic ? 'separate critic' : 'shared value head'})`, async () => {
      const one = await run(1, critic);
      const two = await run(2, critic);
      expect(one.history).toHaveLength(3);
      expect(one.history[2]![METRIC_NAMES.loss]).not.toBe(one.history[0]![METRIC_NAMES.loss]); // it trained
      for (const [step, metrics] of two.history.entries())
        for (const key of OPTIMIZATION_METRICS)
          expect(metrics[key], `${key} at ${step}`).toBeCloseTo(one.history[step]![key]!, 4);
      expect(maxDifference(two.weights, one.weights)).toBeLessThan(2e-5);
      // Each replica holds the policy (+ critic) and value head variables, nothing else, after every update.
      const variables = (await create(1, critic)).namedVariables().size;
      expect(two.workerTensors).toEqual(Array.from({ length: 2 }, () => [variables, variables]));
      expect(one.workerTensors).toEqual([[], []]); // workers: 1 opens no pool
    }, 240_000);
  }

  it('resumes a 2-worker checkpoint with 1 worker, as a 1-worker run would', async () => {
    const reference = await create(1, false);
    await reference.train({ progress: false });
    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-ppo-workers-'));
    dirs.push(dir);
    const controller = new AbortController();
    const first = await create(2, false);
    const stopped = await first.train({
      progress: false,
      checkpoint: { dir, every: 1 },
      signal: controller.signal,
      onLog: ({ step }) => step === 2 && controller.abort(),
    });
    expect(stopped.completedSteps).toBe(2);
    const second = await create(1, false);
    const resumed = await second.train({ progress: false, checkpoint: { dir, every: 1, resume: true } });
    expect(resumed.completedSteps).toBe(3);
    expect(maxDifference(weights(second.namedVariables()), weights(reference.namedVariables()))).toBeLessThan(2e-5);
  }, 240_000);
});
