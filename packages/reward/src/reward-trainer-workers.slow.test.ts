import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import { LETTERS, letterCountPairs } from './letter-count-pairs.test-helper.js';
import { RewardTrainer } from './reward-trainer.js';
import type { RewardTrainerConfig } from './reward-trainer-config.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

// Workers import '@dpo-ts/core', '@dpo-ts/lm' and '@dpo-ts/reward' from dist/: these tests
// need `npm run build` first.
const tokenizer = CharTokenizer.fromCorpus([`>${LETTERS}`]);
const TRAIN = letterCountPairs(36, 5);
// 3 micro-batches of 4 pairs per step, with margins off and the centring term on.
const CONFIG: RewardTrainerConfig = {
  totalSteps: 4,
  perDeviceTrainBatchSize: 4,
  gradientAccumulationSteps: 3,
  learningRate: 1e-2,
  centerRewardsCoefficient: 0.01,
  seed: 3,
};
const model = (seed: number): SequenceRewardModel =>
  new SequenceRewardModel(
    new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed }),
    { headSeed: seed },
  );
const weights = (m: SequenceRewardModel): number[] =>
  [...m.namedVariables().values()].flatMap((v) => Array.from(v.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
const pool = (trainer: RewardTrainer) =>
  (trainer as unknown as { engine: GradientWorkerPool<unknown> | undefined }).engine;

interface Run {
  readonly losses: number[];
  readonly accuracies: number[];
  readonly weights: number[];
  /** Tensors alive in each worker after steps 1-3 (the pool closes after the last one). */
  readonly workerTensors: number[][];
}

describe('RewardTrainer with workers', () => {
  const models: SequenceRewardModel[] = [];
  const make = (seed: number): SequenceRewardModel => {
    const m = model(seed);
    models.push(m);
    return m;
  };
  afterAll(() => models.forEach((m) => void m.dispose()));

  async function run(workers: number): Promise<Run> {
    const m = make(7);
    const trainer = await RewardTrainer.create({
      model: m,
      tokenizer,
      trainDataset: TRAIN,
      config: { ...CONFIG, workers },
    });
    const losses: number[] = [];
    const accuracies: number[] = [];
    const workerTensors: Promise<number[]>[] = [];
    await trainer.train({
      progress: false,
      onLog: ({ step, metrics }) => {
        losses.push(metrics.loss!);
        accuracies.push(metrics.accuracy!);
        const engine = pool(trainer);
        if (step < CONFIG.totalSteps!) workerTensors.push(engine?.workerTensorCounts() ?? Promise.resolve([]));
      },
    });
    expect(pool(trainer)).toBeUndefined(); // closed after train()
    trainer.dispose();
    return { losses, accuracies, weights: weights(m), workerTensors: await Promise.all(workerTensors) };
  }

  it('trains to the same loss with 2 workers as with 1, bit-identically for the same count, leaking nothing per worker', async () => {
    const one = await run(1);
    const two = await run(2);
    const twoAgain = await run(2);
    expect(one.losses).toHaveLength(4);
    expect(one.losses[3]).not.toBe(one.losses[0]); // it trained
    expect(one.workerTensors).toEqual([[], [], []]); // no pool with 1 worker
    for (const [i, loss] of two.losses.entries()) expect(loss).toBeCloseTo(one.losses[i]!, 5);
    expect(two.accuracies).toEqual(one.accuracies);
    expect(maxDifference(two.weights, one.weights)).toBeLessThan(1e-5);
    expect(twoAgain.losses).toEqual(two.losses);
    expect(twoAgain.weights).toEqual(two.weights);
    // Every worker holds its replica's variables (backbone and head) and nothing else after every step.
    const variables = make(1).namedVariables().size;
    expect(two.workerTensors).toEqual(Array.from({ length: 3 }, () => [variables, variables]));
  }, 120_000);

  it('resumes a 2-worker checkpoint with 1 worker and a 1-worker checkpoint with 2', async () => {
    const straight = await run(1);
    for (const [first, second] of [
      [2, 1],
      [1, 2],
    ] as const) {
      const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-reward-workers-'));
      try {
        const controller = new AbortController();
        const a = await RewardTrainer.create({
          model: make(7),
          tokenizer,
          trainDataset: TRAIN,
          config: { ...CONFIG, workers: first },
        });
        const stopped = await a.train({
          progress: false,
          checkpoint: { dir },
          signal: controller.signal,
          onLog: ({ step }) => step === 2 && controller.abort(),
        });
        expect(stopped.completedSteps).toBe(2);
        a.dispose();
        const resumedModel = make(99); // another init: everything must come from the checkpoint
        const b = await RewardTrainer.create({
          model: resumedModel,
          tokenizer,
          trainDataset: TRAIN,
          config: { ...CONFIG, workers: second },
        });
        const resumed = await b.train({ progress: false, checkpoint: { dir, resume: true } });
        expect(resumed.startStep).toBe(2);
        expect(maxDifference(weights(resumedModel), straight.weights)).toBeLessThan(1e-5);
        b.dispose();
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);
});
