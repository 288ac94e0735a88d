import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { float64RowLogProb } from './float64-log-probs.test-helper.js';
import { GPT } from './gpt-model.js';
import { buildSFTBatch, tokenizeSFTRecords } from './sft-dataset.js';
import { SFTTrainer } from './sft-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .']);
const RECORDS = [
  { prompt: 'abc', completion: 'de.' },
  { prompt: 'h', completion: 'gfe dcba.' },
  { prompt: 'ba ba', completion: 'c' },
  { prompt: 'e', completion: '' },
];
const model = (seed = 1, dropout = 0): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed, dropout });
const weights = (gpt: GPT): number[][] => [...gpt.namedVariables().values()].map((v) => Array.from(v.dataSync()));

describe('SFTTrainer', () => {
  const models: GPT[] = [];
  const make = (seed = 1, dropout = 0): GPT => {
    const m = model(seed, dropout);
    models.push(m);
    return m;
  };
  afterAll(() =>
    models.forEach((m) => {
      m.dispose();
    }),
  );

  it('loss equals the hand cross-entropy over completion tokens (float64 oracle), in evaluate and trainStep', async () => {
    for (const completionOnlyLoss of [true, false]) {
      const gpt = make();
      const trainer = await SFTTrainer.create({
        model: gpt,
        tokenizer,
        trainDataset: RECORDS,
        evalDataset: RECORDS,
        config: { totalSteps: 1, completionOnlyLoss, perDeviceEvalBatchSize: 3 },
      });
      let nll = 0;
      let count = 0;
      let correct = 0;
      for (const { prompt, completion } of RECORDS) {
        const ids = [
          tokenizer.bosTokenId,
          ...tokenizer.encode(prompt),
          ...tokenizer.encode(completion),
          tokenizer.eosTokenId,
        ];
        const promptEnd = 1 + prompt.length;
        const mask = ids.map((_, t) => (t >= (completionOnlyLoss ? promptEnd : 1) ? 1 : 0));
        const row = float64RowLogProb(gpt, ids, mask);
        nll -= row.sum;
        count += row.count;
        correct += row.correct;
      }
      const evaluation = await trainer.evaluate();
      expect(evaluation.eval_loss).toBeCloseTo(nll / count, 5);
      expect(evaluation.eval_perplexity).toBeCloseTo(Math.exp(nll / count), 4);
      expect(evaluation.eval_mean_token_accuracy).toBeCloseTo(correct / count, 6);
      // The step reports the loss before its update.
      const before = weights(gpt);
      const step = await trainer.trainStep(buildSFTBatch(trainer.trainRows, tokenizer.padTokenId), 0);
      expect(step.loss).toBeCloseTo(nll / count, 5);
      expect(step.learning_rate).toBe(2e-5); // TRL's default, linear schedule at step 0
      expect(step.num_tokens).toBe(trainer.trainRows.reduce((a, r) => a + r.inputIds.length, 0));
      expect(weights(gpt)).not.toEqual(before);
      trainer.dispose();
    }
  });

  it('gradient accumulation over micro-batches of unequal token counts equals one full batch', async () => {
    const [a, b] = [make(2), make(2)];
    const config = { totalSteps: 3, learningRate: 1e-2, maxGradNorm: 0.5 };
    const trainerA = await SFTTrainer.create({ model: a, tokenizer, trainDataset: RECORDS, config });
    const trainerB = await SFTTrainer.create({ model: b, tokenizer, trainDataset: RECORDS, config });
    const rows = trainerA.trainRows;
    for (let step = 0; step < 3; step++) {
      const full = await trainerA.trainStep(buildSFTBatch(rows, 0), step);
      const split = await trainerB.trainStep(
        [buildSFTBatch(rows.slice(0, 1), 0), buildSFTBatch(rows.slice(1), 0)],
        step,
      );
      expect(split.loss).toBeCloseTo(full.loss!, 6);
      expect(split.grad_norm).toBeCloseTo(full.grad_norm!, 5);
    }
    weights(a).forEach((w, i) => {
      w.forEach((x, j) => {
        expect(weights(b)[i]![j]).toBeCloseTo(x, 5);
      });
    });
    trainerA.dispose();
    trainerB.dispose();
  });

  it('a run stopped and resumed from its checkpoint ends with identical weights (dropout on)', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-sft-resume-'));
    const texts = ['abc def gh.', 'hg fed cba.', 'a b c d e f.', 'ddd eee.', 'ha ha ha.'].map((text) => ({ text }));
    const config = {
      totalSteps: 6,
      learningRate: 3e-3,
      perDeviceTrainBatchSize: 2,
      gradientAccumulationSteps: 2,
      saveSteps: 2,
      warmupSteps: 2,
    };
    const straight = make(5, 0.1);
    const trainerA = await SFTTrainer.create({ model: straight, tokenizer, trainDataset: texts, config });
    await trainerA.train({ progress: false });

    const first = make(5, 0.1);
    const controller = new AbortController();
    const trainerB1 = await SFTTrainer.create({ model: first, tokenizer, trainDataset: texts, config });
    const stopped = await trainerB1.train({
      progress: false,
      checkpoint: { dir },
      signal: controller.signal,
      onLog: ({ step }) => step === 3 && controller.abort(),
    });
    expect(stopped.aborted).toBe(true);
    expect(stopped.completedSteps).toBe(3);

    const second = make(99, 0.1); // different init: everything must come from the checkpoint
    const trainerB2 = await SFTTrainer.create({ model: second, tokenizer, trainDataset: texts, config });
    const resumed = await trainerB2.train({ progress: false, checkpoint: { dir, resume: true } });
    expect(resumed.startStep).toBe(3);
    expect(trainerB2.numTokens).toBe(trainerA.numTokens);
    expect(weights(second)).toEqual(weights(straight));
    [trainerA, trainerB1, trainerB2].forEach((t) => {
      t.dispose();
    });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('leaves no tensor behind: construct, train with evaluation, dispose', async () => {
    const gpt = make(7);
    await expectNoLeak(async () => {
      const trainer = await SFTTrainer.create({
        model: gpt,
        tokenizer,
        trainDataset: RECORDS,
        evalDataset: RECORDS.slice(0, 2),
        config: { totalSteps: 3, evalSteps: 2, perDeviceTrainBatchSize: 2 },
      });
      const result = await trainer.train({ progress: false });
      expect(result.evalHistory).toHaveLength(1);
      expect(result.history.at(-1)!.metrics.train_tokens_per_second).toBeGreaterThan(0);
      trainer.dispose();
    });
  });

  it('packs raw text into windows and learns it (loss falls)', async () => {
    const gpt = make(8);
    const texts = Array.from({ length: 12 }, () => ({ text: 'abcdefgh' }));
    const trainer = await SFTTrainer.create({
      model: gpt,
      tokenizer,
      trainDataset: texts,
      config: { totalSteps: 30, learningRate: 1e-2, packing: true, maxLength: 8, perDeviceTrainBatchSize: 4 },
    });
    expect(trainer.trainRows.every((row) => row.inputIds.length === 8)).toBe(true);
    const result = await trainer.train({ progress: false });
    expect(result.history.at(-1)!.metrics.loss!).toBeLessThan(result.history[0]!.metrics.loss! / 2);
    expect(result.history.at(-1)!.metrics.epoch).toBeCloseTo(30 / Math.ceil(trainer.trainRows.length / 4), 6);
    trainer.dispose();
  });

  it('rejects bad configuration with the field named', async () => {
    const gpt = make(9);
    await expect(
      SFTTrainer.create({ model: gpt, tokenizer, trainDataset: RECORDS, config: { totalSteps: 1, maxLength: 32 } }),
    ).rejects.toThrow(/config\.maxLength must be an integer >= 2 and <= 16: got 32/);
    await expect(
      SFTTrainer.create({
        model: gpt,
        tokenizer,
        trainDataset: RECORDS,
        config: { totalSteps: 1, gradientAccumulationSteps: 0 },
      }),
    ).rejects.toThrow(/config\.gradientAccumulationSteps/);
    await expect(
      SFTTrainer.create({ model: gpt, tokenizer, trainDataset: RECORDS, config: { totalSteps: 0 } }),
    ).rejects.toThrow(/totalSteps/);
    expect(() => tokenizeSFTRecords([], tokenizer, { maxLength: 8 })).toThrow(/records/);
  });
});
