import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import type { CausalLanguageModel } from './causal-lm.js';
import { CharTokenizer } from './char-tokenizer.js';
import { completionLogitMetrics, LOGIT_DETAILS } from './completion-logits.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import type { LMPreferenceBatch } from './preference-batch.js';

/** A model whose logits are known by hand: logits[b, t, v] = 10 b + t + v / 2 (vocabulary of 2). */
const handModel: CausalLanguageModel = {
  vocabSize: 2,
  contextLength: 8,
  forward: (inputIds) =>
    tf.tidy(() => {
      const [B, T] = inputIds.shape;
      const values = Array.from({ length: B }, (_, b) =>
        Array.from({ length: T }, (_, t) => [10 * b + t, 10 * b + t + 0.5]),
      );
      return tf.tensor3d(values);
    }),
  trainableVariables: () => [],
};

/** One pair: chosen row 0 scores tokens 2 and 3, rejected row 1 scores token 2 only. */
const BATCH: LMPreferenceBatch = {
  inputIds: Int32Array.from([0, 1, 1, 0, 0, 1, 0, 1]),
  lossMask: Float32Array.from([0, 0, 1, 1, 0, 0, 1, 0]),
  batchSize: 2,
  sequenceLength: 4,
  promptLengths: [2, 2],
  completionLengths: [2, 1],
  numPairs: 1,
};

const hostDetails = (scorer: LMPreferenceScorer, batch: LMPreferenceBatch): Record<string, Float32Array> =>
  tf.tidy(() => {
    const scores = scorer.score(batch, { training: false });
    return Object.fromEntries(
      Object.entries(scores.details ?? {}).map(([name, t]) => [name, Float32Array.from(t.dataSync())]),
    );
  });

describe("TRL's logits/chosen and logits/rejected", () => {
  it('golden values by hand: the mean over vocabulary of the logits at positions predicting completion tokens', async () => {
    const scorer = new LMPreferenceScorer(handModel, { logitMetrics: true });
    const details = await expectNoLeak(() => hostDetails(scorer, BATCH));
    // Chosen (b = 0): positions 1 and 2 predict tokens 2 and 3; vocabulary means 1.25 and 2.25.
    expect(Array.from(details[LOGIT_DETAILS.chosenSum]!)).toEqual([3.5]);
    expect(Array.from(details[LOGIT_DETAILS.chosenTokens]!)).toEqual([2]);
    // Rejected (b = 1): position 1 predicts token 2; vocabulary mean 10 + 1 + 0.25.
    expect(Array.from(details[LOGIT_DETAILS.rejectedSum]!)).toEqual([11.25]);
    expect(Array.from(details[LOGIT_DETAILS.rejectedTokens]!)).toEqual([1]);
    expect(completionLogitMetrics([{ batch: BATCH, policy: details, reference: undefined }])).toEqual({
      [METRIC_NAMES.logitsChosen]: 1.75,
      [METRIC_NAMES.logitsRejected]: 11.25,
    });
    // Pooled over tokens across batches, as TRL's mask-indexed mean over one batch: (3.5 + 3.5) / 4 for chosen.
    const twice = [BATCH, BATCH].map((batch) => ({ batch, policy: details, reference: undefined }));
    expect(completionLogitMetrics(twice)[METRIC_NAMES.logitsChosen]).toBe(1.75);
    const other = { ...details, [LOGIT_DETAILS.chosenSum]: Float32Array.from([1]) };
    expect(
      completionLogitMetrics([
        { batch: BATCH, policy: details, reference: undefined },
        { batch: BATCH, policy: other, reference: undefined },
      ])[METRIC_NAMES.logitsChosen],
    ).toBe((3.5 + 1) / 4);
  });

  it('off by default, and the scores are the same with or without them', () => {
    const read = (scorer: LMPreferenceScorer) =>
      tf.tidy(() => {
        const scores = scorer.score(BATCH, { training: false });
        return {
          chosen: scores.chosen.dataSync()[0],
          rejected: scores.rejected.dataSync()[0],
          details: scores.details,
        };
      });
    const plain = read(new LMPreferenceScorer(handModel));
    expect(plain.details).toBeUndefined();
    const withLogits = read(new LMPreferenceScorer(handModel, { logitMetrics: true }));
    expect([withLogits.chosen, withLogits.rejected]).toEqual([plain.chosen, plain.rejected]);
    expect(completionLogitMetrics([{ batch: BATCH, policy: {}, reference: undefined }])).toEqual({});
  });

  it("DPOTrainer logs them in trainStep and evaluate (eval_ keys), from the policy's forward pass", async () => {
    const tokenizer = CharTokenizer.fromCorpus(['abc .!']);
    const model = new GPT({
      vocabSize: tokenizer.vocabSize,
      contextLength: 12,
      dModel: 8,
      nLayer: 1,
      nHead: 2,
      seed: 3,
    });
    const pairs = [
      { prompt: 'ab', chosen: 'c!', rejected: 'a' },
      { prompt: 'c', chosen: 'abc', rejected: 'b.' },
    ];
    const trainer = await DPOTrainer.create({
      model,
      tokenizer,
      trainDataset: pairs,
      evalDataset: pairs,
      config: { totalSteps: 1, perDeviceTrainBatchSize: 2, perDeviceEvalBatchSize: 2 },
    });
    // The oracle, in float64 from the logits of a plain forward pass.
    const [batch] = trainer.batchesForStep(0);
    const { batchSize: B, sequenceLength: T, numPairs: n } = batch!;
    const V = tokenizer.vocabSize;
    const logits = tf.tidy(() =>
      model
        .forward(tf.tensor2d(batch!.inputIds, [B, T], 'int32'))
        .dataSync()
        .slice(),
    );
    const pooled = (rows: number[]): number => {
      let sum = 0;
      let count = 0;
      for (const b of rows)
        for (let t = 0; t + 1 < T; t++) {
          if (batch!.lossMask[b * T + t + 1] !== 1) continue;
          for (let v = 0; v < V; v++) sum += logits[(b * T + t) * V + v]!;
          count += V;
        }
      return sum / count;
    };
    const chosenRows = Array.from({ length: n }, (_, i) => i);
    const rejectedRows = chosenRows.map((i) => i + n);
    const evaluation = await trainer.evaluate();
    expect(evaluation[`eval_${METRIC_NAMES.logitsChosen}`]).toBeCloseTo(pooled(chosenRows), 5);
    expect(evaluation[`eval_${METRIC_NAMES.logitsRejected}`]).toBeCloseTo(pooled(rejectedRows), 5);
    const step = await trainer.trainStep(batch!, 0); // metrics of the forward pass before the update
    expect(step[METRIC_NAMES.logitsChosen]).toBeCloseTo(pooled(chosenRows), 5);
    expect(step[METRIC_NAMES.logitsRejected]).toBeCloseTo(pooled(rejectedRows), 5);
    trainer.dispose();
    model.dispose();
  });
});
