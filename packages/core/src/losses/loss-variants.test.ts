// Every loss variant against an independent float64 implementation of its formula, at ordinary
// inputs, huge margins, beta = 0, ties, NaN input; gradients against finite differences; leaks.
import * as tf from '@tensorflow/tfjs-core';
// Unit tests need the gradient registry; tfjs-core's CommonJS entry does not register it.
import { describe, expect, it } from 'vitest';

import { checkGradient } from '../testing/finite-difference.js';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import type {
  PreferenceLossContext,
  PreferenceLossOptions,
  PreferenceLossState,
  PreferenceLossType,
} from './preference-loss.js';
import { PREFERENCE_LOSSES, PREFERENCE_LOSS_TYPES } from './registry.js';

interface Case {
  readonly policyChosen: readonly number[];
  readonly policyRejected: readonly number[];
  readonly referenceChosen: readonly number[];
  readonly referenceRejected: readonly number[];
  readonly chosenLengths: readonly number[];
  readonly rejectedLengths: readonly number[];
  readonly beta: number;
}

const OPTIONS: PreferenceLossOptions = {
  labelSmoothing: 0.1,
  ipoNormalizeLength: true,
  discopopTau: 0.05,
  simpoGamma: 0.3,
};
const freshState = (): PreferenceLossState => ({ bcoRunningMean: 0, bcoRunningCount: 0 });

// ---- float64 references, written from the papers / TRL formulas, independent of loss-ops.ts ----
const logSigmoid = (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const cdpo = (z: number, eps: number): number => -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);

function reference64(type: PreferenceLossType, c: Case, options = OPTIONS, state = freshState()): number[] {
  const { beta } = c;
  const eps = options.labelSmoothing;
  const n = c.policyChosen.length;
  const cr = c.policyChosen.map((p, i) => p - c.referenceChosen[i]!);
  const rr = c.policyRejected.map((p, i) => p - c.referenceRejected[i]!);
  const len = (l: number): number => Math.max(l, 1);
  const perPair = (f: (cl: number, rl: number, i: number) => number): number[] => cr.map((cl, i) => f(cl, rr[i]!, i));
  switch (type) {
    case 'sigmoid':
      return perPair((cl, rl) => cdpo(beta * (cl - rl), eps));
    case 'robust':
      return perPair(
        (cl, rl) => ((1 - eps) * -logSigmoid(beta * (cl - rl)) + eps * logSigmoid(-beta * (cl - rl))) / (1 - 2 * eps),
      );
    case 'ipo':
      return perPair((cl, rl, i) => {
        const h = options.ipoNormalizeLength
          ? cl / len(c.chosenLengths[i]!) - rl / len(c.rejectedLengths[i]!)
          : cl - rl;
        return (h - 1 / (2 * beta)) ** 2;
      });
    case 'hinge':
      return perPair((cl, rl) => Math.max(0, 1 - beta * (cl - rl)));
    case 'exo_pair': {
      const e = eps === 0 ? 1e-3 : eps;
      return perPair((cl, rl) => {
        const z = beta * (cl - rl);
        return sigmoid(z) * (logSigmoid(z) - Math.log(1 - e)) + sigmoid(-z) * (logSigmoid(-z) - Math.log(e));
      });
    }
    case 'nca_pair':
      return perPair((cl, rl) => -logSigmoid(beta * cl) - 0.5 * logSigmoid(-beta * cl) - 0.5 * logSigmoid(-beta * rl));
    case 'bco_pair': {
      const batchMean = [...cr, ...rr].reduce((s, v) => s + beta * v, 0) / (2 * n);
      const delta = state.bcoRunningMean + (batchMean - state.bcoRunningMean) / (state.bcoRunningCount + 1);
      return perPair((cl, rl) => -logSigmoid(beta * cl - delta) - logSigmoid(-(beta * rl - delta)));
    }
    case 'sppo_hard':
      return perPair((cl, rl) => (cl - 0.5 / beta) ** 2 + (rl + 0.5 / beta) ** 2);
    case 'aot': {
      const policy = ascending(c.policyChosen.map((p, i) => p - c.policyRejected[i]!));
      const ref = ascending(c.referenceChosen.map((p, i) => p - c.referenceRejected[i]!));
      return policy.map((p, i) => cdpo(beta * (p - ref[i]!), eps));
    }
    case 'aot_unpaired': {
      const chosen = ascending(cr);
      const rejected = ascending(rr);
      return chosen.map((v, i) => cdpo(beta * (v - rejected[i]!), eps));
    }
    case 'apo_zero':
      return perPair((cl, rl) => 1 - sigmoid(beta * cl) + sigmoid(beta * rl));
    case 'apo_down':
      return perPair((cl, rl) => sigmoid(beta * cl) + 1 - sigmoid(beta * (cl - rl)));
    case 'discopop':
      return perPair((cl, rl) => {
        const l = beta * (cl - rl);
        const m = sigmoid(l / options.discopopTau);
        return -logSigmoid(l) * (1 - m) + Math.exp(-l) * m; // the paper's literal formula
      });
    case 'sigmoid_norm':
      return perPair(
        (cl, rl, i) =>
          -logSigmoid(beta * (cl / len(c.chosenLengths[i]!) - rl / len(c.rejectedLengths[i]!)) - options.simpoGamma),
      );
    case 'sft':
      return c.policyChosen.map((p, i) => -p / len(c.chosenLengths[i]!));
  }
}

// ---- helpers ----
function contextOf(
  c: Case,
  policyChosen?: tf.Tensor1D,
  policyRejected?: tf.Tensor1D,
  options = OPTIONS,
  state = freshState(),
): PreferenceLossContext {
  const pc = policyChosen ?? tf.tensor1d(c.policyChosen as number[]);
  const pr = policyRejected ?? tf.tensor1d(c.policyRejected as number[]);
  const rc = tf.tensor1d(c.referenceChosen as number[]);
  const rj = tf.tensor1d(c.referenceRejected as number[]);
  return {
    chosenLogRatios: tf.sub(pc, rc),
    rejectedLogRatios: tf.sub(pr, rj),
    policyChosenScores: pc,
    policyRejectedScores: pr,
    referenceChosenScores: rc,
    referenceRejectedScores: rj,
    chosenLengths: tf.tensor1d(c.chosenLengths as number[]),
    rejectedLengths: tf.tensor1d(c.rejectedLengths as number[]),
    beta: c.beta,
    options,
    state,
  };
}

/** Runs one variant on a case in a tidy and returns the values (float32 -> number[]). */
function run(type: PreferenceLossType, c: Case, options = OPTIONS, state = freshState()): number[] {
  return tf.tidy(() =>
    Array.from(PREFERENCE_LOSSES[type].compute(contextOf(c, undefined, undefined, options, state)).dataSync()),
  );
}

const ORDINARY: Case = {
  policyChosen: [-12.3, -40.1, -7.7, -25.2],
  policyRejected: [-14.9, -38.2, -9.4, -21.0],
  referenceChosen: [-13.0, -39.5, -8.6, -24.1],
  referenceRejected: [-13.8, -39.9, -8.1, -23.3],
  chosenLengths: [4, 11, 3, 8],
  rejectedLengths: [5, 10, 0, 7],
  beta: 0.4,
};
const withBeta = (c: Case, beta: number): Case => ({ ...c, beta });
const NEEDS_POSITIVE_BETA = new Set<PreferenceLossType>(['ipo', 'sppo_hard']);

/** Pairs with |log-ratios| of 1e4 in every sign combination; lengths 3 and 1. */
const HUGE: Case = {
  policyChosen: [1e4, -1e4, 1e4, -1e4, 0],
  policyRejected: [-1e4, 1e4, 1e4, -1e4, 1e4],
  referenceChosen: [0, 0, 0, 0, 0],
  referenceRejected: [0, 0, 0, 0, 0],
  chosenLengths: [3, 3, 1, 1, 2],
  rejectedLengths: [1, 1, 3, 3, 2],
  beta: 0.1,
};

/** Zero log-ratios (reference = policy): a tie for every variant. */
const TIE: Case = {
  policyChosen: [-6, -2.5, -9],
  policyRejected: [-4, -7, -1],
  referenceChosen: [-6, -2.5, -9],
  referenceRejected: [-4, -7, -1],
  chosenLengths: [3, 5, 9],
  rejectedLengths: [2, 7, 1],
  beta: 0.7,
};

/** Hand-derived loss of a tie (zero log-ratios) at beta = TIE.beta, eps 0.1, tau 0.05, gamma 0.3. */
const LN2 = Math.LN2;
const TIE_VALUE: Record<PreferenceLossType, number | readonly number[]> = {
  sigmoid: LN2,
  robust: LN2,
  ipo: 1 / (4 * 0.7 ** 2),
  hinge: 1,
  exo_pair: Math.log(0.5) - (Math.log(0.1) + Math.log(0.9)) / 2,
  nca_pair: 2 * LN2,
  bco_pair: 2 * LN2,
  sppo_hard: 2 * (1 / (2 * 0.7)) ** 2,
  aot: LN2,
  aot_unpaired: LN2,
  apo_zero: 1,
  apo_down: 1,
  discopop: (1 + LN2) / 2,
  sigmoid_norm: Math.log1p(Math.exp(0.3)),
  sft: [2, 0.5, 1],
};

describe.each(PREFERENCE_LOSS_TYPES)('%s', (type) => {
  const loss = PREFERENCE_LOSSES[type];

  it('matches the float64 formula at ordinary inputs', () => {
    for (const beta of [0.4, 2.5]) {
      expectClose(run(type, withBeta(ORDINARY, beta)), reference64(type, withBeta(ORDINARY, beta)), {
        atol: 1e-5,
        rtol: 1e-4,
      });
    }
  });

  it('stays finite for log-ratios of +-1e4 and beta up to 5000', () => {
    for (const beta of [0.1, 5000]) {
      const actual = run(type, withBeta(HUGE, beta));
      const expected = reference64(type, withBeta(HUGE, beta));
      actual.forEach((value, i) => {
        expect(Number.isFinite(value), `${type} beta=${beta} pair ${i}: ${value}`).toBe(true);
        const want = expected[i]!;
        if (Number.isFinite(want)) expect(Math.abs(value - want)).toBeLessThanOrEqual(1e-3 + 1e-5 * Math.abs(want));
      });
    }
  });

  it('handles beta = 0', () => {
    const zero = withBeta(ORDINARY, 0);
    if (NEEDS_POSITIVE_BETA.has(type)) {
      expect(() => run(type, zero)).toThrow(/beta must be a number > 0/);
      return;
    }
    expectClose(run(type, zero), reference64(type, zero), { atol: 1e-6, rtol: 1e-5 });
  });

  it('gives the hand-derived value at a tie (zero log-ratios)', () => {
    const golden = TIE_VALUE[type];
    const expected = typeof golden === 'number' ? TIE.policyChosen.map(() => golden) : golden;
    expectClose(run(type, TIE), expected, { atol: 1e-6, rtol: 1e-5 });
  });

  it('propagates NaN input instead of hiding it', () => {
    const withNaN: Case = { ...ORDINARY, policyChosen: [NaN, ...ORDINARY.policyChosen.slice(1)] };
    const values = run(type, withNaN);
    expect(Number.isNaN(values.reduce((s, v) => s + v, 0))).toBe(true);
  });

  it('has the finite-difference gradient in the policy scores', () => {
    // bco_pair's shift depends on the batch but carries no gradient (as in TRL); a long history
    // (count 1e6) makes that dependence negligible, so finite differences see the same function.
    const state = type === 'bco_pair' ? { bcoRunningMean: 0.05, bcoRunningCount: 1e6 } : freshState();
    const weights = tf.tensor1d([0.7, -1.3, 2.1, 0.4]);
    const pc = tf.tensor1d(ORDINARY.policyChosen as number[]);
    const pr = tf.tensor1d(ORDINARY.policyRejected as number[]);
    const optionSets = type === 'ipo' ? [OPTIONS, { ...OPTIONS, ipoNormalizeLength: false }] : [OPTIONS];
    for (const options of optionSets) {
      const f = (chosen: tf.Tensor, rejected?: tf.Tensor): tf.Scalar =>
        tf.sum(
          tf.mul(
            loss.compute(contextOf(ORDINARY, chosen as tf.Tensor1D, (rejected ?? pr) as tf.Tensor1D, options, state)),
            weights,
          ),
        );
      // sft reads only the chosen score, and tf.grads rejects an input that y does not depend on.
      checkGradient(f, type === 'sft' ? [pc] : [pc, pr], { epsilon: 1e-2, atol: 2e-3, rtol: 2e-2 });
    }
    tf.dispose([weights, pc, pr]);
  });

  it('leaks no tensor and leaves its inputs alone', async () => {
    const context = contextOf(ORDINARY);
    await expectNoLeak(() => loss.compute(context).dispose());
    expect(context.chosenLogRatios.isDisposed).toBe(false);
    tf.dispose(Object.values(context).filter((value): value is tf.Tensor => value instanceof tf.Tensor));
  });
});
