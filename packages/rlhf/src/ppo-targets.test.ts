import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { computePPOTargets } from './ppo-targets.js';

// Two rollouts, R = 3; row 1 ends after 2 tokens (its third column is padding and holds junk).
//   log pi     = [[-1, -2, -0.5], [-1, -1, 0]]
//   log pi_ref = [[-1.5, -1, -0.5], [-1, -2, 5]]
//   k1 = log pi - log pi_ref = [[0.5, -1, 0], [0, 1, (masked) 0]]
//   beta 0.1: non-score = -0.1 k1 = [[-0.05, 0.1, 0], [0, -0.1, 0]]
//   scores [1, 2] at the last tokens: rewards = [[-0.05, 0.1, 1], [0, 1.9, 0]]
//   V = [[0.5, 0.4, 0.2], [1, 1, (masked) 0]]
// GAE, gamma 1, lambda 0.95:
//   row 0: t2 delta 0.8 -> 0.8; t1 delta 0.1 + 0.2 - 0.4 = -0.1 -> -0.1 + 0.76 = 0.66;
//          t0 delta -0.05 + 0.4 - 0.5 = -0.15 -> -0.15 + 0.627 = 0.477; returns [0.977, 1.06, 1]
//   row 1: t2 0; t1 delta 1.9 - 1 = 0.9 -> 0.9; t0 delta 1 - 1 = 0 -> 0.855; returns [1.855, 1.9, 0]
// Whitened over the 5 real tokens (0.477, 0.66, 0.8, 0.855, 0.9): mean 0.7384, unbiased var 0.0294953:
//   [-1.5220506354, -0.4564987369, 0.3586775790], [0.6789254173, 0.9409463760, 0]
const inputs = () => ({
  logProbs: tf.tensor2d([
    [-1, -2, -0.5],
    [-1, -1, 0],
  ]),
  referenceLogProbs: tf.tensor2d([
    [-1.5, -1, -0.5],
    [-1, -2, 5],
  ]),
  values: tf.tensor2d([
    [0.5, 0.4, 0.2],
    [1, 1, 9],
  ]),
  responseMask: tf.tensor2d([
    [1, 1, 1],
    [1, 1, 0],
  ]),
  scores: tf.tensor1d([1, 2]),
  klCoef: 0.1,
  klEstimator: 'k1' as const,
  whitenRewards: false,
  gamma: 1,
  lambda: 0.95,
});

describe('computePPOTargets', () => {
  it('matches the hand-computed rewards, GAE and whitened advantages', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const targets = computePPOTargets(inputs());
        expectClose(targets.kl, [
          [0.5, -1, 0],
          [0, 1, 0],
        ]);
        expectClose(
          targets.nonScoreReward,
          [
            [-0.05, 0.1, 0],
            [0, -0.1, 0],
          ],
          { atol: 1e-7 },
        );
        expectClose(
          targets.rewards,
          [
            [-0.05, 0.1, 1],
            [0, 1.9, 0],
          ],
          { atol: 1e-6 },
        );
        expectClose(targets.values, [
          [0.5, 0.4, 0.2],
          [1, 1, 0],
        ]);
        expectClose(
          targets.returns,
          [
            [0.977, 1.06, 1],
            [1.855, 1.9, 0],
          ],
          { atol: 1e-5 },
        );
        expectClose(
          targets.advantages,
          [
            [-1.5220506354, -0.4564987369, 0.358677579],
            [0.6789254173, 0.940946376, 0],
          ],
          { atol: 1e-4 },
        );
      }),
    );
  });

  it('whitens rewards keeping their mean, uses k3, and handles one-token responses', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const whitened = computePPOTargets({ ...inputs(), whitenRewards: true });
        // Real rewards -0.05, 0.1, 1, 0, 1.9: mean 0.59, and whitening keeps it.
        const rewards = whitened.rewards.arraySync();
        const real = [rewards[0]![0]!, rewards[0]![1]!, rewards[0]![2]!, rewards[1]![0]!, rewards[1]![1]!];
        expect(real.reduce((a, b) => a + b, 0) / 5).toBeCloseTo(0.59, 5);
        expect(rewards[1]![2]).toBe(0);
        // k3 of log r = [[-0.5, 1, 0], [0, -1]]: e^x - 1 - x
        const k3 = computePPOTargets({ ...inputs(), klEstimator: 'k3' });
        expectClose(
          k3.kl,
          [
            [Math.exp(-0.5) - 0.5, Math.E - 2, 0],
            [0, Math.exp(-1), 0],
          ],
          { atol: 1e-6 },
        );
        // R = 1: the score sits on the only token.
        const single = computePPOTargets({
          ...inputs(),
          logProbs: tf.tensor2d([[-1], [-2]]),
          referenceLogProbs: tf.tensor2d([[-1], [-2]]),
          values: tf.zeros([2, 1]),
          responseMask: tf.ones([2, 1]),
        });
        expectClose(single.rewards, [[1], [2]]);
        expectClose(single.returns, [[1], [2]]);
      }),
    );
  });

  it('names mismatched shapes', () => {
    tf.tidy(() => {
      expect(() => computePPOTargets({ ...inputs(), scores: tf.tensor1d([1]) })).toThrow(/scores/);
      expect(() => computePPOTargets({ ...inputs(), values: tf.zeros([2, 2]) as tf.Tensor2D })).toThrow(/values/);
    });
  });
});
