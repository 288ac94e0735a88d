import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BigramModel } from './bigram-model.test-helper.js';
import { GPT } from './gpt-model.js';
import { maskedSequenceLogProbs, sequenceLogProbs } from './sequence-log-probs.js';
import { selectTokenLogProbs, tokenLogProbs } from './token-log-probs.js';

const ids2d = (rows: number[][]): tf.Tensor2D => tf.tensor2d(rows, undefined, 'int32');

describe('token and sequence log-probs', () => {
  // Row 2 gives p(k | 2) = (k + 1) / 10; row 1 is uniform; row 3 strongly prefers 0.
  const bigram = new BigramModel([
    [0, 1, 2, 3],
    [1, 1, 1, 1],
    [0, Math.log(2), Math.log(3), Math.log(4)],
    [5, 0, 0, 0],
  ]);
  const gpt = new GPT({ vocabSize: 7, contextLength: 8, dModel: 16, nLayer: 1, nHead: 2, seed: 11 });
  afterAll(() => {
    bigram.dispose();
    gpt.dispose();
  });

  it('scores each next token by hand (bigram model)', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const logProbs = tokenLogProbs(bigram, ids2d([[2, 3, 1, 2, 0]]));
        const expected = [Math.log(4 / 10), -Math.log(Math.exp(5) + 3), Math.log(1 / 4), Math.log(1 / 10)];
        expectClose(logProbs, [expected], { atol: 1e-6 });
      }),
    );
  });

  it('sums, averages and counts only the masked (completion) tokens', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        // Completion = positions 2 and 3 (tokens 1 and 2); position 4 is padding.
        const { sum, mean, tokenCount } = sequenceLogProbs(
          bigram,
          ids2d([[2, 3, 1, 2, 0]]),
          tf.tensor2d([[0, 0, 1, 1, 0]]),
        );
        const expected = bigram.logProb(2, 3) * 0 + bigram.logProb(3, 1) + bigram.logProb(1, 2);
        expectClose(sum, [expected], { atol: 1e-6 });
        expectClose(mean, [expected / 2], { atol: 1e-6 });
        expectClose(tokenCount, [2]);
      }),
    );
  });

  it('ignores prompt and padding: changing them leaves the score unchanged', () => {
    tf.tidy(() => {
      const mask = tf.tensor2d([[0, 0, 0, 1, 1, 0, 0]]);
      const base = sequenceLogProbs(gpt, ids2d([[1, 2, 3, 4, 5, 0, 0]]), mask).sum;
      // Padding after the completion: a causal model never looks ahead, and it is masked.
      expectClose(sequenceLogProbs(gpt, ids2d([[1, 2, 3, 4, 5, 6, 3]]), mask).sum, base, { atol: 1e-6 });
      // Prompt log-probs are not counted: with a bigram model only the last prompt token matters.
      const bigramMask = tf.tensor2d([[0, 0, 0, 1, 1]]);
      const a = sequenceLogProbs(bigram, ids2d([[0, 1, 2, 3, 1]]), bigramMask).sum;
      const b = sequenceLogProbs(bigram, ids2d([[3, 3, 2, 3, 1]]), bigramMask).sum;
      expectClose(a, b, { atol: 1e-6 });
      // Even non-finite log-probs at masked positions contribute exactly nothing.
      const poisoned = tf.tensor2d([[-Infinity, NaN, -2, -3, NaN, Infinity]]);
      expectClose(maskedSequenceLogProbs(poisoned, mask).sum, [-5]);
    });
  });

  it('matches a float64 log-softmax of the GPT logits, with and without temperature', () => {
    tf.tidy(() => {
      const rows = [
        [1, 5, 2, 6, 0],
        [3, 3, 4, 1, 2],
      ];
      const logits = gpt.forward(ids2d(rows)).arraySync();
      for (const temperature of [1, 0.5, 2]) {
        const expected = rows.map((row, b) =>
          row.slice(1).map((next, t) => {
            const z = logits[b]![t]!.map((v) => v / temperature);
            const max = Math.max(...z);
            return z[next]! - max - Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
          }),
        );
        expectClose(tokenLogProbs(gpt, ids2d(rows), { temperature }), expected, { atol: 1e-5, rtol: 1e-5 });
      }
    });
  });

  it('handles a one-token sequence and empty completions', () => {
    tf.tidy(() => {
      expect(tokenLogProbs(gpt, ids2d([[3]])).shape).toEqual([1, 0]);
      const { sum, mean, tokenCount } = sequenceLogProbs(gpt, ids2d([[3, 4]]), tf.tensor2d([[0, 0]]));
      expectClose(tf.stack([sum, mean, tokenCount]), [[0], [0], [0]]);
    });
  });

  it('selectTokenLogProbs is differentiable: d/dlogits = onehot - softmax', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[0.5, -1, 2]]);
      const gradient = tf.grad((x: tf.Tensor) =>
        tf.sum(selectTokenLogProbs(x as tf.Tensor2D, tf.tensor1d([2], 'int32'))),
      )(logits);
      const softmax = [0.5, -1, 2].map((v) => Math.exp(v)).map((e, _, all) => e / all.reduce((a, b) => a + b, 0));
      expectClose(gradient, [[-softmax[0]!, -softmax[1]!, 1 - softmax[2]!]], { atol: 1e-6 });
    });
  });
});
