import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { GPT } from './gpt-model.js';
import { SFTTrainer } from './sft-trainer.js';
import type { SFTConfig } from './sft-config.js';

// Workers import '@dpo-ts/lm' from dist/: these tests need `npm run build` first (CI builds before testing).
const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .']);
const TEXTS = ['abc def gh.', 'hg fed cba.', 'a b c d e f.', 'ddd eee.', 'ha ha ha.'].map((text) => ({ text }));
// Dropout on: each micro-batch's stream must be the same on the main thread and in a worker.
const CONFIG: SFTConfig = {
  totalSteps: 4,
  learningRate: 3e-3,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 2,
  saveSteps: 2,
  warmupSteps: 1,
  seed: 3,
};
const model = (seed: number): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed, dropout: 0.1 });
const weights = (gpt: GPT): number[][] => [...gpt.namedVariables().values()].map((v) => Array.from(v.dataSync()));
/** The engine `train()` is using, read from inside a step (private state, for this test only). */
const engineWorkers = (trainer: SFTTrainer): number | undefined =>
  (trainer as unknown as { engine?: { workers: number } }).engine?.workers;

describe('SFTTrainer with workers', () => {
  const models: GPT[] = [];
  const make = (seed: number): GPT => {
    const m = model(seed);
    models.push(m);
    return m;
  };
  afterAll(() =>
    models.forEach((m) => {
      m.dispose();
    }),
  );

  it('trains to the same weights with 2 workers as with 1, and a 2-worker checkpoint resumes with 1', async () => {
    const single = make(5);
    const trainer1 = await SFTTrainer.create({
      model: single,
      tokenizer,
      trainDataset: TEXTS,
      config: { ...CONFIG, workers: 1 },
    });
    const losses1: number[] = [];
    await trainer1.train({ progress: false, onLog: ({ metrics }) => void losses1.push(metrics.loss!) });

    const parallel = make(5);
    const trainer2 = await SFTTrainer.create({
      model: parallel,
      tokenizer,
      trainDataset: TEXTS,
      config: { ...CONFIG, workers: 2 },
    });
    const losses2: number[] = [];
    const seenWorkers: (number | undefined)[] = [];
    await trainer2.train({
      progress: false,
      onLog: ({ metrics }) => {
        losses2.push(metrics.loss!);
        seenWorkers.push(engineWorkers(trainer2));
      },
    });
    expect(seenWorkers).toEqual([2, 2, 2, 2]); // really on a pool, closed after train()
    expect(engineWorkers(trainer2)).toBeUndefined();
    expect(weights(single)).not.toEqual(weights(make(5))); // training moved the weights
    expect(losses2).toEqual(losses1);
    expect(weights(parallel)).toEqual(weights(single));
    expect(trainer2.numTokens).toBe(trainer1.numTokens);

    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-sft-workers-'));
    try {
      const controller = new AbortController();
      const first = make(5);
      const trainerA = await SFTTrainer.create({
        model: first,
        tokenizer,
        trainDataset: TEXTS,
        config: { ...CONFIG, workers: 2 },
      });
      const stopped = await trainerA.train({
        progress: false,
        checkpoint: { dir },
        signal: controller.signal,
        onLog: ({ step }) => step === 2 && controller.abort(),
      });
      expect(stopped.completedSteps).toBe(2);
      const second = make(99); // different init: everything comes from the checkpoint
      const trainerB = await SFTTrainer.create({
        model: second,
        tokenizer,
        trainDataset: TEXTS,
        config: { ...CONFIG, workers: 1 },
      });
      const resumed = await trainerB.train({ progress: false, checkpoint: { dir, resume: true } });
      expect(resumed.startStep).toBe(2);
      expect(weights(second)).toEqual(weights(single));
      [trainerA, trainerB].forEach((t) => {
        t.dispose();
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    [trainer1, trainer2].forEach((t) => {
      t.dispose();
    });
  }, 120_000);
});
