// The conventions each variant documents, checked with hand-derived values: where the loss is
// zero, which constants TRL substitutes, what the AOT quantiles and bco_pair shift mean.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectClose } from '../testing/expect-close.js';
import { DISCOPOP_MAX_EXPONENT } from './discopop-loss.js';
import type { PreferenceLossContext, PreferenceLossOptions, PreferenceLossType } from './preference-loss.js';
import { PREFERENCE_LOSSES } from './registry.js';

interface Inputs {
  readonly chosen: readonly number[]; // policy scores
  readonly rejected: readonly number[];
  readonly referenceChosen?: readonly number[]; // default 0
  readonly referenceRejected?: readonly number[];
  readonly chosenLengths?: readonly number[]; // default 1
  readonly rejectedLengths?: readonly number[];
  readonly beta: number;
  readonly options?: Partial<PreferenceLossOptions>;
  readonly state?: { bcoRunningMean: number; bcoRunningCount: number };
}

const BASE_OPTIONS: PreferenceLossOptions = {
  labelSmoothing: 0,
  ipoNormalizeLength: true,
  discopopTau: 0.05,
  simpoGamma: 0,
};

function lossOf(type: PreferenceLossType, inputs: Inputs): number[] {
  return tf.tidy(() => {
    const n = inputs.chosen.length;
    const t = (values: readonly number[] | undefined, fill: number): tf.Tensor1D =>
      tf.tensor1d(values ? [...values] : Array(n).fill(fill));
    const policyChosenScores = t(inputs.chosen, 0);
    const policyRejectedScores = t(inputs.rejected, 0);
    const referenceChosenScores = t(inputs.referenceChosen, 0);
    const referenceRejectedScores = t(inputs.referenceRejected, 0);
    const context: PreferenceLossContext = {
      chosenLogRatios: tf.sub(policyChosenScores, referenceChosenScores),
      rejectedLogRatios: tf.sub(policyRejectedScores, referenceRejectedScores),
      policyChosenScores,
      policyRejectedScores,
      referenceChosenScores,
      referenceRejectedScores,
      chosenLengths: t(inputs.chosenLengths, 1),
      rejectedLengths: t(inputs.rejectedLengths, 1),
      beta: inputs.beta,
      options: { ...BASE_OPTIONS, ...inputs.options },
      state: inputs.state ?? { bcoRunningMean: 0, bcoRunningCount: 0 },
    };
    return Array.from(PREFERENCE_LOSSES[type].compute(context).dataSync());
  });
}

const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('sigmoid, robust', () => {
  it('sigmoid is DPO: log 2 at a tie, log(1 + e^-1) at beta * z = 1', () => {
    expectClose(lossOf('sigmoid', { chosen: [0, 3], rejected: [0, 1], beta: 0.5 }), [Math.LN2, softplus(-1)]);
  });
  it('cDPO smoothing mixes in the flipped label: 0.8 * softplus(-1) + 0.2 * softplus(1)', () => {
    const actual = lossOf('sigmoid', { chosen: [3], rejected: [1], beta: 0.5, options: { labelSmoothing: 0.2 } });
    expectClose(actual, [0.8 * softplus(-1) + 0.2 * softplus(1)]);
  });
  it('robust equals sigmoid without noise and de-biases with it', () => {
    const inputs: Inputs = { chosen: [2, -1, 0.3], rejected: [0.5, 1, 0.3], beta: 0.8 };
    expectClose(lossOf('robust', inputs), lossOf('sigmoid', inputs));
    // eps = 0.25: ((0.75 * softplus(-1)) - 0.25 * softplus(1)) / 0.5
    const noisy = lossOf('robust', { chosen: [1], rejected: [0], beta: 1, options: { labelSmoothing: 0.25 } });
    expectClose(noisy, [(0.75 * softplus(-1) - 0.25 * softplus(1)) / 0.5]);
  });
});

describe('ipo', () => {
  const beta = 0.25; // target 1 / (2 beta) = 2
  it('TRL convention (normalised): zero where the per-token margin is 1/(2 beta)', () => {
    // chosen 12 over 4 tokens = 3 per token, rejected 3 over 3 tokens = 1: h = 2.
    const inputs: Inputs = { chosen: [12], rejected: [3], chosenLengths: [4], rejectedLengths: [3], beta };
    expectClose(lossOf('ipo', inputs), [0]);
    // The paper's summed h = 9 on the same pair: (9 - 2)^2.
    expectClose(lossOf('ipo', { ...inputs, options: { ipoNormalizeLength: false } }), [49]);
  });
  it('paper convention (summed h): zero at h = 1/(2 beta), 1/(4 beta^2) at h = 0, lengths ignored', () => {
    const inputs: Inputs = { chosen: [5, 1], rejected: [3, 1], chosenLengths: [7, 2], rejectedLengths: [2, 9], beta };
    expectClose(lossOf('ipo', { ...inputs, options: { ipoNormalizeLength: false } }), [0, 4]);
  });
  it('clamps empty completions to one unit, as TRL does', () => {
    const inputs: Inputs = { chosen: [2], rejected: [0], chosenLengths: [0], rejectedLengths: [0], beta };
    expectClose(lossOf('ipo', inputs), [0]);
  });
});

describe('hinge', () => {
  it('is zero once the margin reaches 1/beta and linear below', () => {
    const beta = 0.5; // margin 1/beta = 2
    expectClose(lossOf('hinge', { chosen: [2, 5, 1, 0, -2], rejected: [0, 0, 0, 0, 0], beta }), [0, 0, 0.5, 1, 2]);
  });
});

describe('exo_pair', () => {
  it('substitutes epsilon = 1e-3 when labelSmoothing is 0, like TRL', () => {
    const expected = Math.log(0.5) - (Math.log(1e-3) + Math.log1p(-1e-3)) / 2;
    expectClose(lossOf('exo_pair', { chosen: [0], rejected: [0], beta: 1 }), [expected]);
  });
  it('is a KL divergence: zero where sigmoid(beta z) = 1 - epsilon', () => {
    const epsilon = 0.1;
    const z = Math.log((1 - epsilon) / epsilon);
    expectClose(
      lossOf('exo_pair', { chosen: [z], rejected: [0], beta: 1, options: { labelSmoothing: epsilon } }),
      [0],
      { atol: 1e-6 },
    );
  });
});

describe('nca_pair, sppo_hard, apo', () => {
  it('nca_pair by hand', () => {
    // chosen reward 1, rejected reward -2: softplus(-1) + 0.5 softplus(1) + 0.5 softplus(-2)
    expectClose(lossOf('nca_pair', { chosen: [2], rejected: [-4], beta: 0.5 }), [
      softplus(-1) + 0.5 * softplus(1) + 0.5 * softplus(-2),
    ]);
  });
  it('sppo_hard is zero at log-ratios +-1/(2 beta)', () => {
    expectClose(lossOf('sppo_hard', { chosen: [2, 0], rejected: [-2, 0], beta: 0.25 }), [0, 8]);
  });
  it('apo_zero and apo_down by hand', () => {
    expectClose(lossOf('apo_zero', { chosen: [2], rejected: [-1], beta: 1 }), [1 - sigmoid(2) + sigmoid(-1)]);
    // apo_down at a tie: sigmoid(beta * chosen) + 1/2
    expectClose(lossOf('apo_down', { chosen: [1.5, -3], rejected: [1.5, -3], beta: 2 }), [
      sigmoid(3) + 0.5,
      sigmoid(-6) + 0.5,
    ]);
  });
});

describe('discopop', () => {
  it('matches the literal formula where it is finite', () => {
    const tau = 0.5;
    const literal = (l: number): number =>
      -Math.log(sigmoid(l)) * (1 - sigmoid(l / tau)) + Math.exp(-l) * sigmoid(l / tau);
    const margins = [-10, -1, 0, 0.3, 4];
    const inputs: Inputs = { chosen: margins, rejected: margins.map(() => 0), beta: 1, options: { discopopTau: tau } };
    expectClose(lossOf('discopop', inputs), margins.map(literal), { rtol: 1e-4 });
  });
  it('stays finite, about -l, for large negative margins where the float32 literal form gives NaN', () => {
    const l = -100; // exp(100) overflows float32
    const literalFloat32 = tf.tidy(() => {
      const logits = tf.scalar(l);
      const m = tf.sigmoid(tf.div(logits, 0.05));
      return tf
        .add(tf.mul(tf.neg(tf.logSigmoid(logits)), tf.sub(1, m)), tf.mul(tf.exp(tf.neg(logits)), m))
        .dataSync()[0];
    });
    expect(Number.isNaN(literalFloat32)).toBe(true); // what TRL's expression does in float32
    expectClose(lossOf('discopop', { chosen: [l, -1e4], rejected: [0, 1e4], beta: 1 }), [100, 2e4], { rtol: 1e-6 });
  });
  it('caps the exponential term at exp(DISCOPOP_MAX_EXPONENT) when tau > 1', () => {
    const l = -1000; // true value ~ exp(1000 * (1 - 1/tau)) overflows everything
    const actual = lossOf('discopop', { chosen: [l], rejected: [0], beta: 1, options: { discopopTau: 2 } });
    expect(Number.isFinite(actual[0])).toBe(true);
    expectClose(actual, [1000 * sigmoid(500) + Math.exp(DISCOPOP_MAX_EXPONENT)], { rtol: 1e-5 });
  });
});

describe('aot, aot_unpaired', () => {
  const chosen = [-3, 1, 0.5, 2];
  const rejected = [-1, -2, 1.5, 0];
  it('aot compares sorted margins, so shuffling the reference pairs changes nothing', () => {
    const inputs: Inputs = {
      chosen,
      rejected,
      referenceChosen: [0.2, -1, 3, 0],
      referenceRejected: [0, 0.5, 1, -2],
      beta: 1,
    };
    const shuffled: Inputs = { ...inputs, referenceChosen: [3, 0, 0.2, -1], referenceRejected: [1, -2, 0, 0.5] };
    expectClose(lossOf('aot', inputs), lossOf('aot', shuffled));
    // policy margins sorted: [-2, -1, 2, 3]; reference margins sorted: [-1.5, 0.2, 2, 2]
    expectClose(
      lossOf('aot', inputs),
      [-0.5, -1.2, 0, 1].map((d) => softplus(-d)),
    );
  });
  it('aot_unpaired sorts chosen and rejected log-ratios separately', () => {
    const inputs: Inputs = { chosen, rejected, beta: 1 };
    // chosen sorted [-3, 0.5, 1, 2]; rejected sorted [-2, -1, 0, 1.5]
    expectClose(
      lossOf('aot_unpaired', inputs),
      [-1, 1.5, 1, 0.5].map((d) => softplus(-d)),
    );
    expectClose(lossOf('aot_unpaired', { ...inputs, rejected: [0, 1.5, -2, -1] }), lossOf('aot_unpaired', inputs));
  });
});

describe('bco_pair shift', () => {
  it('uses the current batch mean on the first step, as TRL after RunningMoments.update', () => {
    // rewards (beta = 1): chosen [2, 0], rejected [1, -1]; batch mean 0.5 = delta
    const actual = lossOf('bco_pair', { chosen: [2, 0], rejected: [1, -1], beta: 1 });
    expectClose(actual, [softplus(-1.5) + softplus(0.5), softplus(0.5) + softplus(-1.5)]);
  });
  it('blends the stored running mean with the batch mean by the step count', () => {
    const state = { bcoRunningMean: 0.2, bcoRunningCount: 3 };
    const delta = 0.2 + (0.5 - 0.2) / 4;
    const actual = lossOf('bco_pair', { chosen: [2, 0], rejected: [1, -1], beta: 1, state });
    expectClose(actual, [softplus(-(2 - delta)) + softplus(1 - delta), softplus(delta) + softplus(-1 - delta)]);
    expect(state).toEqual({ bcoRunningMean: 0.2, bcoRunningCount: 3 }); // read, never written
  });
});

describe('sigmoid_norm, sft', () => {
  it('sigmoid_norm with zero reference and gamma is SimPO', () => {
    // beta / |y| * log pi: 2 * (-6 / 3) = -4 and 2 * (-10 / 4) = -5; margin 1 - gamma 0.5
    const inputs: Inputs = { chosen: [-6], rejected: [-10], chosenLengths: [3], rejectedLengths: [4], beta: 2 };
    const actual = lossOf('sigmoid_norm', { ...inputs, options: { simpoGamma: 0.5 } });
    expectClose(actual, [softplus(-0.5)]);
  });
  it('sigmoid_norm at equal lengths L is sigmoid at beta / L', () => {
    const inputs: Inputs = {
      chosen: [1, -4],
      rejected: [3, -6],
      referenceChosen: [0.5, -3],
      referenceRejected: [2, -5],
      beta: 1.2,
    };
    const normalised = lossOf('sigmoid_norm', { ...inputs, chosenLengths: [4, 4], rejectedLengths: [4, 4] });
    expectClose(normalised, lossOf('sigmoid', { ...inputs, beta: 1.2 / 4 }));
  });
  it('sft is the per-token NLL of the chosen response, blind to beta, reference and rejected', () => {
    const inputs: Inputs = { chosen: [-6, -1.5], rejected: [-1, -2], chosenLengths: [3, 1], beta: 0.1 };
    expectClose(lossOf('sft', inputs), [2, 1.5]);
    expectClose(lossOf('sft', { ...inputs, rejected: [-50, 7], referenceChosen: [3, 3], beta: 9 }), [2, 1.5]);
  });
});
