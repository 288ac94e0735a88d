import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { CLIP_RATIO_METRIC_NAMES, type GRPOLossType, grpoLoss, rlooLoss } from './group-policy-loss.js';

// Two completions, two steps; the second completion has one valid token (the 9 is padding).
const LOG_PROBS = [
  [0.3, -0.3],
  [0.5, 9],
];
const MASK = [
  [1, 1],
  [1, 0],
];
const ADVANTAGES = [1, -1];
const normalization = { sequences: 2, tokens: 3, microBatches: 1, maxCompletionLength: 2 };

/** -min(ρA, clip(ρ)A) by hand, old log-probs 0 (ρ = e^logp), ε = 0.2. */
function surrogate(logProb: number, advantage: number): number {
  const ratio = Math.exp(logProb);
  return -Math.min(ratio * advantage, Math.min(Math.max(ratio, 0.8), 1.2) * advantage);
}
const l00 = surrogate(0.3, 1); // ρ = 1.35 > 1.2 with A > 0: clipped to -1.2
const l01 = surrogate(-0.3, 1); // ρ = 0.74: unclipped side is smaller, -0.7408
const l10 = surrogate(0.5, -1); // ρ = 1.65 with A < 0: unclipped, +1.6487
const k3 = (logProb: number): number => Math.exp(-logProb) + logProb - 1; // reference log-prob 0

function grpo(lossType: GRPOLossType, beta = 0, norm = normalization) {
  return tf.tidy(() => {
    const result = grpoLoss({
      logProbs: tf.tensor2d(LOG_PROBS),
      oldLogProbs: tf.zeros([2, 2]) as tf.Tensor2D,
      referenceLogProbs: tf.zeros([2, 2]) as tf.Tensor2D,
      advantages: tf.tensor1d(ADVANTAGES),
      mask: tf.tensor2d(MASK),
      epsilonLow: 0.2,
      epsilonHigh: 0.2,
      beta,
      lossType,
      normalization: norm,
    });
    return {
      loss: result.loss.dataSync()[0]!,
      metrics: Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [k, v.dataSync()[0]!])),
    };
  });
}

describe('grpoLoss', () => {
  it('aggregates the clipped per-token losses as each TRL loss_type does', async () => {
    expect(l00).toBeCloseTo(-1.2, 12);
    const total = l00 + l01 + l10;
    await expectNoLeak(() => {
      expectClose(grpo('dapo').loss, total / 3, { atol: 1e-6 });
      expectClose(grpo('grpo').loss, ((l00 + l01) / 2 + l10) / 2, { atol: 1e-6 });
      expectClose(grpo('dr_grpo').loss, total / (2 * 2), { atol: 1e-6 });
      expectClose(grpo('bnpo').loss, total / 3, { atol: 1e-6 });
      // bnpo normalises by the micro-batch's own tokens, then averages over micro-batches.
      expectClose(grpo('bnpo', 0, { ...normalization, microBatches: 2, tokens: 7 }).loss, total / 3 / 2, {
        atol: 1e-6,
      });
      expectClose(grpo('dapo', 0, { ...normalization, tokens: 7 }).loss, total / 7, { atol: 1e-6 });
    });
  });

  it('counts clipped tokens and adds β k3 (logged as kl) when β > 0', () => {
    const plain = grpo('dapo');
    expect(plain.metrics.kl).toBeUndefined();
    expectClose(plain.metrics[CLIP_RATIO_METRIC_NAMES.high]!, 1 / 3);
    expectClose(plain.metrics[CLIP_RATIO_METRIC_NAMES.low]!, 0);
    expectClose(plain.metrics[CLIP_RATIO_METRIC_NAMES.region]!, 1 / 3);
    const klSum = k3(0.3) + k3(-0.3) + k3(0.5);
    const withKl = grpo('dapo', 0.1);
    expectClose(withKl.metrics.kl!, klSum / 3, { atol: 1e-6 });
    expectClose(withKl.loss, (l00 + l01 + l10 + 0.1 * klSum) / 3, { atol: 1e-6 });
  });

  it('gives the policy-gradient direction at ratio 1: d loss / d logp_t = -A / tokens (dapo)', () => {
    const grads = tf.tidy(() => {
      const old = tf.tensor2d([
        [0.2, -0.1],
        [0.4, 0],
      ]);
      const g = tf.grad(
        (logProbs: tf.Tensor) =>
          grpoLoss({
            logProbs: logProbs as tf.Tensor2D,
            oldLogProbs: old,
            advantages: tf.tensor1d(ADVANTAGES),
            mask: tf.tensor2d(MASK),
            epsilonLow: 0.2,
            epsilonHigh: 0.2,
            beta: 0,
            lossType: 'dapo',
            normalization,
          }).loss,
      )(old.clone()); // the same values, another tensor: old stays a constant
      return g.arraySync() as number[][];
    });
    expectClose(grads, [
      [-1 / 3, -1 / 3],
      [1 / 3, 0],
    ]);
  });

  it('names the argument on bad input', () => {
    expect(() =>
      grpoLoss({
        logProbs: tf.zeros([2, 2]) as tf.Tensor2D,
        oldLogProbs: tf.zeros([2, 3]) as tf.Tensor2D,
        advantages: tf.zeros([2]) as tf.Tensor1D,
        mask: tf.ones([2, 2]) as tf.Tensor2D,
        epsilonLow: 0.2,
        epsilonHigh: 0.2,
        beta: 0,
        lossType: 'dapo',
        normalization,
      }),
    ).toThrow(/oldLogProbs/);
    expect(() =>
      tf.tidy(() =>
        grpoLoss({
          logProbs: tf.zeros([2, 2]) as tf.Tensor2D,
          oldLogProbs: tf.zeros([2, 2]) as tf.Tensor2D,
          advantages: tf.zeros([2]) as tf.Tensor1D,
          mask: tf.ones([2, 2]) as tf.Tensor2D,
          epsilonLow: 0.2,
          epsilonHigh: 0.2,
          beta: 0.1,
          lossType: 'dapo',
          normalization,
        }),
      ),
    ).toThrow(/referenceLogProbs/);
  });
});

describe('rlooLoss', () => {
  it('clips the sequence-level ratio and averages over the step completions', async () => {
    // Row 0: log ρ = 0.1 + 0.05, A = 2 (unclipped). Row 1: log ρ = 0.5 (padding ignored), A = -1
    // (unclipped: the smaller term). Row 2: log ρ = -0.4, A = -1: ρ = 0.67 < 0.8, clipped low.
    const expected = [
      -Math.min(Math.exp(0.15) * 2, 1.2 * 2),
      -Math.min(-Math.exp(0.5), -1.2),
      -Math.min(-Math.exp(-0.4), -0.8),
    ];
    const { loss, low, high } = await expectNoLeak(() =>
      tf.tidy(() => {
        const result = rlooLoss({
          logProbs: tf.tensor2d([
            [0.1, 0.05],
            [0.5, 9],
            [-0.4, 0],
          ]),
          oldLogProbs: tf.zeros([3, 2]) as tf.Tensor2D,
          advantages: tf.tensor1d([2, -1, -1]),
          mask: tf.tensor2d([
            [1, 1],
            [1, 0],
            [1, 1],
          ]),
          epsilonLow: 0.2,
          epsilonHigh: 0.2,
          normalization: { ...normalization, sequences: 4 },
        });
        return {
          loss: result.loss.dataSync()[0]!,
          low: result.metrics[CLIP_RATIO_METRIC_NAMES.low]!.dataSync()[0]!,
          high: result.metrics[CLIP_RATIO_METRIC_NAMES.high]!.dataSync()[0]!,
        };
      }),
    );
    expect(expected[2]).toBeCloseTo(0.8, 12);
    expectClose(loss, (expected[0]! + expected[1]! + expected[2]!) / 4, { atol: 1e-6 });
    expectClose(low, 1 / 3);
    expectClose(high, 0);
  });
});
