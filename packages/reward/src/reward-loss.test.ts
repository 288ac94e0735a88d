import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { bradleyTerryRewardLoss } from './reward-loss.js';
import { ScalarHead } from './scalar-head.js';

describe('bradleyTerryRewardLoss', () => {
  // r_w = [2, 0, -1], r_l = [1, 0, 1], m = [0.5, 0, 0] -> z = r_w - r_l - m = [0.5, 0, -2]
  // -log sigmoid(z) = log(1 + e^-z):
  //   log(1 + e^-0.5) = 0.4740769842, log 2 = 0.6931471806, log(1 + e^2) = 2.1269280110
  // mean = 1.0980507253; centring with c = 0.01: (r_w + r_l)^2 = [9, 0, 0], mean 3 -> +0.03
  it('matches hand-computed values, with margins and the centring term', async () => {
    await expectNoLeak(() => {
      const chosenRewards = tf.tensor1d([2, 0, -1]);
      const rejectedRewards = tf.tensor1d([1, 0, 1]);
      const margins = tf.tensor1d([0.5, 0, 0]);
      const plain = bradleyTerryRewardLoss({ chosenRewards, rejectedRewards, margins });
      expectClose(plain.losses, [0.4740769842, Math.LN2, 2.126928011], { atol: 1e-6 });
      expectClose(plain.loss, 1.0980507253, { atol: 1e-6 });
      const centred = bradleyTerryRewardLoss({
        chosenRewards,
        rejectedRewards,
        margins,
        centerRewardsCoefficient: 0.01,
      });
      expectClose(centred.loss, 1.1280507253, { atol: 1e-6 });
      const noMargin = bradleyTerryRewardLoss({ chosenRewards, rejectedRewards });
      expectClose(noMargin.losses, [Math.log1p(Math.exp(-1)), Math.LN2, Math.log1p(Math.exp(2))], { atol: 1e-6 });
      tf.dispose([chosenRewards, rejectedRewards, margins, plain, centred, noMargin]);
    });
  });

  it('stays finite for huge margins of either sign', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const result = bradleyTerryRewardLoss({
          chosenRewards: tf.tensor1d([1000, -1000]),
          rejectedRewards: tf.tensor1d([0, 0]),
        });
        expectClose(result.losses, [0, 1000], { atol: 1e-3 });
      }),
    );
  });

  it('names the argument on a shape mismatch', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        expect(() =>
          bradleyTerryRewardLoss({ chosenRewards: tf.tensor1d([1, 2]), rejectedRewards: tf.tensor1d([1]) }),
        ).toThrow(/rejectedRewards/);
        expect(() =>
          bradleyTerryRewardLoss({
            chosenRewards: tf.tensor1d([1]),
            rejectedRewards: tf.tensor1d([1]),
            centerRewardsCoefficient: -1,
          }),
        ).toThrow(/centerRewardsCoefficient/);
      }),
    );
  });

  it('has the gradient of central finite differences through a tiny scalar head', async () => {
    // Two pairs, hidden width 3: rewards = h w, chosen rows 0-1, rejected rows 2-3.
    const hidden = tf.tensor2d([
      [0.3, -1.2, 0.5],
      [1.1, 0.4, -0.7],
      [-0.2, 0.9, 0.8],
      [0.6, -0.3, -1.5],
    ]);
    const margins = tf.tensor1d([0.2, -0.4]);
    const kernel = tf.tensor2d([[0.4], [-0.1], [0.7]]);
    await expectNoLeak(() => {
      const loss = (w: tf.Tensor): tf.Scalar => {
        const rewards = tf.reshape(tf.matMul(hidden, w as tf.Tensor2D), [4]);
        return bradleyTerryRewardLoss({
          chosenRewards: tf.slice(rewards, [0], [2]) as tf.Tensor1D,
          rejectedRewards: tf.slice(rewards, [2], [2]) as tf.Tensor1D,
          margins,
          centerRewardsCoefficient: 0.1,
        }).loss;
      };
      const { maxAbsError } = checkGradient(loss, [kernel], { epsilon: 1e-3, atol: 1e-3, rtol: 1e-3 });
      expect(maxAbsError).toBeLessThan(1e-3);
    });
    // The same loss through a ScalarHead's variable, by tf.variableGrads.
    const head = new ScalarHead({ inputSize: 3, seed: 4, initStd: 0.5 });
    const { grads, value } = tf.variableGrads(() => {
      const rewards = head.apply(hidden);
      return bradleyTerryRewardLoss({
        chosenRewards: tf.slice(rewards, [0], [2]) as tf.Tensor1D,
        rejectedRewards: tf.slice(rewards, [2], [2]) as tf.Tensor1D,
        margins,
      }).loss;
    }, [...head.namedVariables().values()]);
    const w = head.namedVariables().get('score.kernel')!;
    const numeric = checkGradient(
      (k) => {
        const rewards = tf.reshape(tf.matMul(hidden, k as tf.Tensor2D), [4]);
        return bradleyTerryRewardLoss({
          chosenRewards: tf.slice(rewards, [0], [2]) as tf.Tensor1D,
          rejectedRewards: tf.slice(rewards, [2], [2]) as tf.Tensor1D,
          margins,
        }).loss;
      },
      [w],
    ).numeric;
    expectClose(grads[w.name]!, numeric, { atol: 1e-3, rtol: 1e-3 });
    tf.dispose([value, ...Object.values(grads), hidden, margins, kernel]);
    head.dispose();
  });
});
