import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NamedVariables } from '@dpo-ts/core';
import { WorkerFailedError, type GradientWorkerPool } from '@dpo-ts/core/parallel';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import type { DPOConfig } from './dpo-config.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';

// Workers import '@dpo-ts/core' and '@dpo-ts/lm' from dist/: these tests need `npm run build` first.
const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const PAIRS = [
  { prompt: 'abc', chosen: 'de!', rejected: 'hh.' },
  { prompt: 'h', chosen: 'gfe', rejected: 'a b c d' },
  { prompt: 'ba ba', chosen: '', rejected: 'c' },
  { prompt: 'e', chosen: 'ee!', rejected: 'e.' },
  { prompt: 'gg', chosen: 'a!', rejected: 'ab.' },
  { prompt: 'dd', chosen: 'h!', rejected: 'hh' },
];
// Dropout on: each micro-batch's stream must be the same on the main thread and in a worker.
const CONFIG: DPOConfig = {
  totalSteps: 4,
  learningRate: 5e-3,
  beta: 0.5,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 3,
  saveSteps: 1,
  seed: 11,
};
const gpt = (seed: number): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed, dropout: 0.1 });
const weights = (named: NamedVariables): number[] =>
  [...named.values()].flatMap((v) => Array.from(v.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
const pool = (trainer: DPOTrainer) =>
  trainer.preferenceTrainer.engine as unknown as GradientWorkerPool<unknown> | undefined;

interface Run {
  readonly losses: number[];
  /** `logits/chosen` of every step (the policy replicas' completion-logit details). */
  readonly logitsChosen: number[];
  readonly weights: number[];
  /** Tensors alive in each worker after steps 1-3 (the pool closes after the last one). */
  readonly workerTensors: number[][];
}

describe('DPOTrainer with workers', () => {
  const models: GPT[] = [];
  const make = (seed: number): GPT => {
    const m = gpt(seed);
    models.push(m);
    return m;
  };
  afterAll(() => models.forEach((m) => void m.dispose()));

  async function run(workers: number, extra: Partial<DPOConfig> = {}): Promise<Run> {
    const model = make(5);
    const trainer = await DPOTrainer.create({
      model,
      tokenizer,
      trainDataset: PAIRS,
      config: { ...CONFIG, ...extra, workers },
    });
    const losses: number[] = [];
    const logitsChosen: number[] = [];
    const workerTensors: Promise<number[]>[] = [];
    await trainer.train({
      progress: false,
      onLog: ({ step, metrics }) => {
        losses.push(metrics.loss!);
        logitsChosen.push(metrics['logits/chosen']!);
        // Asked between steps: the worker answers before it reads the next step's 'run' message.
        const engine = pool(trainer);
        if (step < CONFIG.totalSteps!) workerTensors.push(engine?.workerTensorCounts() ?? Promise.resolve([]));
      },
    });
    expect(pool(trainer)).toBeUndefined(); // closed after train()
    trainer.dispose();
    return {
      losses,
      logitsChosen,
      weights: weights(model.namedVariables()),
      workerTensors: await Promise.all(workerTensors),
    };
  }

  it('trains to the same loss with 2 workers as with 1, bit-identically for the same count, leaking nothing per worker', async () => {
    const one = await run(1);
    const two = await run(2);
    const twoAgain = await run(2);
    expect(one.losses).toHaveLength(4);
    expect(one.losses[3]).not.toBe(one.losses[0]); // it trained
    for (const [i, loss] of two.losses.entries()) expect(loss).toBeCloseTo(one.losses[i]!, 5);
    for (const [i, logits] of two.logitsChosen.entries()) expect(logits).toBeCloseTo(one.logitsChosen[i]!, 4);
    expect(maxDifference(two.weights, one.weights)).toBeLessThan(1e-5);
    expect(twoAgain.losses).toEqual(two.losses);
    expect(twoAgain.weights).toEqual(two.weights);
    // Every worker holds its policy and reference replicas' variables and nothing else after every step.
    const variables = 2 * make(1).namedVariables().size;
    expect(two.workerTensors).toEqual(Array.from({ length: 3 }, () => [variables, variables]));
  }, 180_000);

  it('keeps the reference replicas in step with a TR-DPO sync: 2 workers train as 1', async () => {
    const sync: Partial<DPOConfig> = { syncRefModel: true, refModelSyncSteps: 2, refModelMixupAlpha: 0.5 };
    const one = await run(1, sync);
    const two = await run(2, sync);
    for (const [i, loss] of two.losses.entries()) expect(loss).toBeCloseTo(one.losses[i]!, 5);
    expect(maxDifference(two.weights, one.weights)).toBeLessThan(1e-5);
  }, 180_000);

  it('resumes a 2-worker checkpoint with 1 worker and a 1-worker checkpoint with 2', async () => {
    const reference = await run(1);
    for (const [first, second] of [
      [2, 1],
      [1, 2],
    ] as const) {
      const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-dpo-workers-'));
      try {
        const controller = new AbortController();
        const a = await DPOTrainer.create({
          model: make(5),
          tokenizer,
          trainDataset: PAIRS,
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
        // The same init: the frozen reference is a copy of the policy as given (not checkpointed).
        const resumedModel = make(5);
        const b = await DPOTrainer.create({
          model: resumedModel,
          tokenizer,
          trainDataset: PAIRS,
          config: { ...CONFIG, workers: second },
        });
        const resumed = await b.train({ progress: false, checkpoint: { dir, resume: true } });
        expect(resumed.startStep).toBe(2);
        expect(maxDifference(weights(resumedModel.namedVariables()), reference.weights)).toBeLessThan(1e-5);
        b.dispose();
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
  }, 180_000);

  it('reports a worker that dies during training with its error, and its last checkpoint resumes', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-dpo-crash-'));
    try {
      const trainer = await DPOTrainer.create({
        model: make(5),
        tokenizer,
        trainDataset: PAIRS,
        config: { ...CONFIG, workers: 2 },
      });
      const failed = trainer.train({
        progress: false,
        checkpoint: { dir },
        onLog: async ({ step }) => {
          // Kill worker 1 after step 2 was logged (and checkpointed): step 3 must fail.
          if (step === 2)
            await (
              pool(trainer) as unknown as { host: { threads: { terminate(): Promise<number> }[] } }
            ).host.threads[1]!.terminate();
        },
      });
      await expect(failed).rejects.toThrow(WorkerFailedError);
      await expect(failed).rejects.toThrow(/worker 1.*exited/);
      expect(pool(trainer)).toBeUndefined(); // the pool was closed
      trainer.dispose();
      const resumedModel = make(99);
      const resumer = await DPOTrainer.create({
        model: resumedModel,
        tokenizer,
        trainDataset: PAIRS,
        config: { ...CONFIG, workers: 1 },
      });
      const resumed = await resumer.train({ progress: false, checkpoint: { dir, resume: true } });
      expect(resumed.startStep).toBe(2);
      expect(resumed.completedSteps).toBe(4);
      resumer.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
