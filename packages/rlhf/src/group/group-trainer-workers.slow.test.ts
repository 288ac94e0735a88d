import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_NAMES, type NamedVariables } from '@dpo-ts/core';
import type { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import type { RewardFunction } from '../reward-source.js';
import type { GroupTrainerBase } from './group-trainer-base.js';
import { GRPOTrainer } from './grpo-trainer.js';
import { RLOOTrainer } from './rloo-trainer.js';

// Workers import '@dpo-ts/rlhf' from dist/: these tests need `npm run build` first.
const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const trainDataset = ['a>', 'b>', 'c>', 'd>', 'ab>', 'cd>'].map((prompt) => ({ prompt }));
const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed: 7 });
// Three micro-batches of 4 completions per optimiser step, two optimiser steps per generation batch.
const CONFIG = {
  totalSteps: 3,
  numGenerations: 4,
  perDeviceTrainBatchSize: 4,
  gradientAccumulationSteps: 3,
  numIterations: 2,
  maxCompletionLength: 5,
  beta: 0.1,
  learningRate: 1e-2,
};
const weights = (named: NamedVariables): number[] =>
  [...named.values()].flatMap((variable) => Array.from(variable.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
// biome-ignore lint/suspicious/noExplicitAny: the trainers' config types differ only in their own fields
type AnyGroupTrainer = GroupTrainerBase<any>;
const engineOf = (trainer: AnyGroupTrainer) =>
  (trainer as unknown as { updateEngine?: GradientWorkerPool<unknown> }).updateEngine;

const TRAINERS = {
  // 'dapo' normalises by the tokens of the whole step: the count crosses to the workers as context.step.
  grpo: (model: GPT, workers: number) =>
    GRPOTrainer.create({ model, tokenizer, trainDataset, reward: countA, config: { ...CONFIG, workers } }),
  rloo: (model: GPT, workers: number) =>
    RLOOTrainer.create({ model, tokenizer, trainDataset, reward: countA, config: { ...CONFIG, workers } }),
};

describe('RLOO and GRPO with gradient workers', () => {
  const owned: { dispose(): void }[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const object of owned) object.dispose();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function create(kind: keyof typeof TRAINERS, workers: number): Promise<AnyGroupTrainer> {
    const model = tinyGPT();
    owned.push(model);
    const trainer = await TRAINERS[kind](model, workers);
    owned.push(trainer);
    return trainer;
  }

  for (const kind of ['grpo', 'rloo'] as const) {
    it(`${kind}: 2 workers train as 1, leaking nothing per worker, and a 2-worker checkpoint resumes with 1`, async () => {
      const runs = [];
      for (const workers of [1, 2]) {
        const trainer = await create(kind, workers);
        const losses: number[] = [];
        const gradNorms: number[] = [];
        const workerTensors: Promise<number[]>[] = [];
        await trainer.train({
          progress: false,
          onLog: ({ step, metrics }) => {
            losses.push(metrics[METRIC_NAMES.loss]!);
            gradNorms.push(metrics[METRIC_NAMES.gradNorm]!);
            if (step < CONFIG.totalSteps)
              workerTensors.push(engineOf(trainer)?.workerTensorCounts() ?? Promise.resolve([]));
          },
        });
        expect(engineOf(trainer)).toBeUndefined(); // closed after train()
        runs.push({
          losses,
          gradNorms,
          weights: weights(trainer.namedVariables()),
          workerTensors: await Promise.all(workerTensors),
        });
      }
      const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(one.losses).toHaveLength(3);
      for (const [i, loss] of two.losses.entries()) expect(loss).toBeCloseTo(one.losses[i]!, 5);
      for (const [i, norm] of two.gradNorms.entries()) expect(norm).toBeCloseTo(one.gradNorms[i]!, 4);
      expect(maxDifference(two.weights, one.weights)).toBeLessThan(2e-5);
      const initial = tinyGPT();
      owned.push(initial);
      expect(maxDifference(two.weights, weights(initial.namedVariables()))).toBeGreaterThan(1e-3); // it trained
      const variables = initial.namedVariables().size;
      expect(two.workerTensors).toEqual([
        [variables, variables],
        [variables, variables],
      ]);

      const dir = await mkdtemp(join(tmpdir(), `dpo-ts-${kind}-workers-`));
      dirs.push(dir);
      const controller = new AbortController();
      const first = await create(kind, 2);
      const stopped = await first.train({
        progress: false,
        checkpoint: { dir, every: 1 },
        signal: controller.signal,
        onLog: ({ step }) => step === 2 && controller.abort(),
      });
      expect(stopped.completedSteps).toBe(2);
      const second = await create(kind, 1);
      const resumed = await second.train({ progress: false, checkpoint: { dir, every: 1, resume: true } });
      expect(resumed.completedSteps).toBe(3);
      expect(maxDifference(weights(second.namedVariables()), one.weights)).toBeLessThan(2e-5);
    }, 240_000);
  }
});
