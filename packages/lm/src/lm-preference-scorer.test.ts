import * as tf from '@tensorflow/tfjs-core';
import { computePreferenceLoss, createPreferenceLossState, resolvePreferenceLossConfig } from '@dpo-ts/core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT } from './gpt-model.js';
import { buildLMBatch, lmBatchTensors } from './lm-batch.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import { buildPreferenceBatch } from './preference-batch.js';
import { sequenceLogProbs } from './sequence-log-probs.js';

const TOKENS = { padTokenId: 0, bosTokenId: 1, eosTokenId: 2 };
const PAIRS = [
  { prompt: [3, 4, 5], chosen: [6, 7], rejected: [8, 9, 3, 4, 5] },
  { prompt: [6], chosen: [], rejected: [4] },
  { prompt: [7, 8, 9, 3, 4, 5, 6], chosen: [5, 5, 5], rejected: [9] },
];
const OPTIONS = { maxLength: 12, maxPromptLength: 6 };

describe('LMPreferenceScorer', () => {
  const model = new GPT({ vocabSize: 10, contextLength: 16, dModel: 16, nLayer: 2, nHead: 2, seed: 4 });
  afterAll(() => model.dispose());

  it('equals two separate passes over the chosen and the rejected rows', async () => {
    const batch = buildPreferenceBatch(PAIRS, TOKENS, OPTIONS);
    // Separate batches pad to their own longest row: padding must not matter.
    const separate = (side: 'chosen' | 'rejected'): number[] =>
      tf.tidy(() => {
        const single = buildLMBatch(
          PAIRS.map((p) => ({ prompt: p.prompt, completion: p[side] })),
          TOKENS,
          OPTIONS,
        );
        const { inputIds, lossMask } = lmBatchTensors(single);
        return Array.from(sequenceLogProbs(model, inputIds, lossMask).sum.dataSync());
      });
    await expectNoLeak(() => {
      const scores = new LMPreferenceScorer(model).score(batch, { training: false });
      expect(scores.chosen.shape).toEqual([3]);
      expectClose(scores.chosen, separate('chosen'), { atol: 1e-5 });
      expectClose(scores.rejected, separate('rejected'), { atol: 1e-5 });
      expectClose(scores.chosenLengths!, [3, 1, 4]); // completion + EOS
      expectClose(scores.rejectedLengths!, [6, 2, 2]);
      tf.dispose([scores.chosen, scores.rejected, scores.chosenLengths!, scores.rejectedLengths!]);
    });
  });

  it("'mean' divides by the completion length and leaves the lengths out (no double normalisation)", () => {
    const batch = buildPreferenceBatch(PAIRS, TOKENS, OPTIONS);
    tf.tidy(() => {
      const sum = new LMPreferenceScorer(model).score(batch, { training: false });
      const mean = new LMPreferenceScorer(model, { reduction: 'mean' }).score(batch, { training: false });
      expectClose(mean.chosen, tf.div(sum.chosen, sum.chosenLengths!), { atol: 1e-6 });
      expectClose(mean.rejected, tf.div(sum.rejected, sum.rejectedLengths!), { atol: 1e-6 });
      expect(mean.chosenLengths).toBeUndefined();
      expect(mean.rejectedLengths).toBeUndefined();
      // sigmoid_norm on the means equals sigmoid_norm on the sums with their lengths: normalised once.
      const config = resolvePreferenceLossConfig({ lossType: 'sigmoid_norm', beta: 2 });
      const reference = { chosen: tf.zeros([3]) as tf.Tensor1D, rejected: tf.zeros([3]) as tf.Tensor1D };
      const onMeans = computePreferenceLoss(mean, reference, config, createPreferenceLossState());
      const onSums = computePreferenceLoss(sum, reference, config, createPreferenceLossState());
      expectClose(onMeans.loss, onSums.loss, { atol: 1e-6 });
    });
  });

  it('gives gradients for the policy and lists no variables for a frozen reference', async () => {
    const batch = buildPreferenceBatch(PAIRS, TOKENS, OPTIONS);
    const policy = new LMPreferenceScorer(model);
    expect(policy.trainableVariables()).toHaveLength(model.trainableVariables().length);
    expect(new LMPreferenceScorer(model, { trainable: false }).trainableVariables()).toEqual([]);
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const { chosen, rejected } = policy.score(batch, { training: true });
            // DPO's loss, -log sigmoid(z) = softplus(-z) (tf.logSigmoid's gradient breaks under tidy).
            return tf.mean(tf.softplus(tf.neg(tf.mul(0.1, tf.sub(chosen, rejected))))) as tf.Scalar;
          }),
        policy.trainableVariables(),
      );
      const norm = tf.tidy(() => tf.norm(tf.stack(Object.values(grads).map((g) => tf.norm(g)))).dataSync()[0]!);
      expect(norm).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
    });
  });

  it('rejects a batch whose size is not twice its pair count', () => {
    const batch = buildPreferenceBatch(PAIRS, TOKENS, OPTIONS);
    expect(() => new LMPreferenceScorer(model).score({ ...batch, numPairs: 2 }, { training: false })).toThrow(
      /numPairs/,
    );
  });
});
