import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_NAMES, type NamedVariables } from '@dpo-ts/core';
import type { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import type { OnlineDPOConfig } from './online-dpo-config.js';
import { OnlineDPOTrainer } from './online-dpo-trainer.js';

// Workers import '@dpo-ts/rlhf' from dist/: these tests need `npm run build` first.
const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const trainDataset = ['a>', 'b>', 'c>', 'd>', 'ab>', 'cd>'].map((prompt) => ({ prompt }));
const countA = (_prompt: string, completion: string): number => [...completion].filter((c) => c === 'a').length;
const tinyGPT = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed: 5 });
// bco_pair: its running mean changes between steps and must reach every worker as context.step.
const CONFIG: OnlineDPOConfig = {
  totalSteps: 3,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 3,
  maxNewTokens: 5,
  learningRate: 1e-2,
  lossType: 'bco_pair',
};
const LOGGED = [METRIC_NAMES.loss, METRIC_NAMES.rewardsChosen, METRIC_NAMES.rewardsMargins, METRIC_NAMES.gradNorm];
const weights = (named: NamedVariables): number[] =>
  [...named.values()].flatMap((variable) => Array.from(variable.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
const engineOf = (trainer: OnlineDPOTrainer) =>
  (trainer as unknown as { updateEngine?: GradientWorkerPool<unknown> }).updateEngine;

describe('OnlineDPOTrainer with gradient workers', () => {
  const owned: { dispose(): void }[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const object of owned) object.dispose();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function create(workers: number): Promise<OnlineDPOTrainer> {
    const model = tinyGPT();
    const trainer = await OnlineDPOTrainer.create({
      model,
      tokenizer,
      trainDataset,
      reward: countA,
      config: { ...CONFIG, workers },
    });
    owned.push(model, trainer);
    return trainer;
  }

  it('trains as with 1 worker, leaking nothing per worker, and a 2-worker checkpoint resumes with 1', async () => {
    const runs = [];
    for (const workers of [1, 2]) {
      const trainer = await create(workers);
      const history: Record<string, number>[] = [];
      const workerTensors: Promise<number[]>[] = [];
      await trainer.train({
        progress: false,
        onLog: ({ step, metrics }) => {
          history.push(Object.fromEntries(LOGGED.map((key) => [key, metrics[key]!])));
          if (step < CONFIG.totalSteps)
            workerTensors.push(engineOf(trainer)?.workerTensorCounts() ?? Promise.resolve([]));
        },
      });
      expect(engineOf(trainer)).toBeUndefined(); // closed after train()
      runs.push({
        history,
        weights: weights(trainer.namedVariables()),
        workerTensors: await Promise.all(workerTensors),
      });
    }
    const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(one.history).toHaveLength(3);
    expect(one.history[2]![METRIC_NAMES.rewardsMargins]).not.toBe(0); // it trained away from the reference
    for (const [step, metrics] of two.history.entries())
      for (const key of LOGGED) expect(metrics[key], `${key} at ${step}`).toBeCloseTo(one.history[step]![key]!, 5);
    expect(maxDifference(two.weights, one.weights)).toBeLessThan(2e-5);
    const variables = (await create(1)).namedVariables().size;
    expect(two.workerTensors).toEqual([
      [variables, variables],
      [variables, variables],
    ]);

    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-online-dpo-workers-'));
    dirs.push(dir);
    const controller = new AbortController();
    const first = await create(2);
    const stopped = await first.train({
      progress: false,
      checkpoint: { dir, every: 1 },
      signal: controller.signal,
      onLog: ({ step }) => step === 2 && controller.abort(),
    });
    expect(stopped.completedSteps).toBe(2);
    const second = await create(1);
    const resumed = await second.train({ progress: false, checkpoint: { dir, every: 1, resume: true } });
    expect(resumed.completedSteps).toBe(3);
    expect(maxDifference(weights(second.namedVariables()), one.weights)).toBeLessThan(2e-5);
  }, 240_000);
});
