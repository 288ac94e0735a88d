import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from './test-backend.test-helper.js';
import { logOneMinusExp, unlikelihoodLoss, UNLIKELIHOOD_MAX_LOG_PROB } from './unlikelihood-loss.js';

beforeAll(useCpuBackend);

const { log } = Math;

describe('logOneMinusExp', () => {
  it('is log(1 - p) for p from 1e-8 to 1 - 1e-5, and finite at p = 1 (clamped)', async () => {
    await expectNoLeak(() => {
      const p = [1e-8, 0.1, 0.5, 0.9, 0.999, 1 - 1e-5];
      const x = tf.tensor1d(p.map((v) => log(v)));
      const y = logOneMinusExp(x);
      expectClose(
        y,
        p.map((v) => Math.log1p(-v)),
        { atol: 2e-6, rtol: 2e-3 },
      );
      const ones = tf.tensor1d([0, 1]); // p = 1 and p = e: both clamped to p = 1 - 1e-6
      const atOne = logOneMinusExp(ones);
      expectClose(
        atOne,
        [Math.log1p(-Math.exp(UNLIKELIHOOD_MAX_LOG_PROB)), Math.log1p(-Math.exp(UNLIKELIHOOD_MAX_LOG_PROB))],
        { rtol: 1e-2 },
      );
      tf.dispose([x, y, ones, atOne]);
    });
  });
});

describe('unlikelihoodLoss', () => {
  const inputs = (alpha: number) => ({
    chosenLogProbs: tf.tensor2d([
      [log(0.5), log(0.25)],
      [log(0.8), -7],
    ]),
    chosenMask: tf.tensor2d([
      [1, 1],
      [1, 0],
    ]),
    rejectedLogProbs: tf.tensor2d([[log(0.5), log(0.9), log(0.3)]]),
    rejectedMask: tf.tensor2d([[1, 1, 0]]),
    alpha,
  });

  it('matches hand values: per-token means of NLL on chosen and -log(1 - p) on rejected, masked', async () => {
    await expectNoLeak(() => {
      const x = inputs(0.5);
      const { loss, likelihood, unlikelihood } = unlikelihoodLoss(x);
      const nll = (log(2) + log(4) - log(0.8)) / 3; // three unmasked chosen tokens
      const ul = -(log(0.5) + log(0.1)) / 2; // two unmasked rejected tokens
      expectClose(likelihood, [nll], { rtol: 1e-5 });
      expectClose(unlikelihood, [ul], { rtol: 1e-5 });
      expectClose(loss, [nll + 0.5 * ul], { rtol: 1e-5 });
      tf.dispose([loss, likelihood, unlikelihood, x.chosenLogProbs, x.chosenMask, x.rejectedLogProbs, x.rejectedMask]);
    });
  });

  it('with alpha 0 is the SFT loss on chosen tokens', () => {
    const x = inputs(0);
    const { loss, likelihood, unlikelihood } = unlikelihoodLoss(x);
    expect(loss.dataSync()[0]).toBeCloseTo(likelihood.dataSync()[0]!, 6);
    tf.dispose([loss, likelihood, unlikelihood, x.chosenLogProbs, x.chosenMask, x.rejectedLogProbs, x.rejectedMask]);
  });

  it("has the gradient of finite differences with respect to both sides' log-probs", async () => {
    await expectNoLeak(() => {
      const chosenMask = tf.tensor2d([
        [1, 1, 0],
        [0, 1, 1],
      ]);
      const rejectedMask = tf.tensor2d([
        [1, 0, 1],
        [1, 1, 1],
      ]);
      const chosen = tf.tensor2d([
        [-0.3, -2.0, -1.0],
        [-0.9, -0.05, -4.0],
      ]);
      const rejected = tf.tensor2d([
        [-0.2, -1.5, -3.0],
        [-0.01, -0.7, -6.0],
      ]);
      const result = checkGradient(
        (c, r) => {
          const parts = unlikelihoodLoss({
            chosenLogProbs: c as tf.Tensor2D,
            chosenMask,
            rejectedLogProbs: r as tf.Tensor2D,
            rejectedMask,
            alpha: 0.7,
          });
          return parts.loss;
        },
        [chosen, rejected],
        { epsilon: 1e-3, atol: 2e-3, rtol: 2e-2 },
      );
      // d/dx of -mean log(1 - e^x) is e^x / (1 - e^x) / count: large near p = 1, as it should be.
      expect(result.analytic[6]! * 5).toBeCloseTo((0.7 * Math.exp(-0.2)) / (1 - Math.exp(-0.2)), 3);
      tf.dispose([chosenMask, rejectedMask, chosen, rejected]);
    });
  });
});
