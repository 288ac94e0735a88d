import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { PairScores } from '../surrogate/pair-scores.js';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { checkGradient } from '../testing/finite-difference.js';
import { computePreferenceLoss, type PreferenceLossResult } from './compute-preference-loss.js';
import type { PreferenceLossConfig, ResolvedPreferenceLossConfig } from './preference-loss-config.js';
import { resolvePreferenceLossConfig } from './preference-loss-config.js';
import { createPreferenceLossState, updatePreferenceLossState } from './preference-loss-state.js';
import type { PreferenceLossType } from './preference-loss.js';

const POLICY = {
  chosen: [-10.2, -31.5, -6.1],
  rejected: [-12.4, -30.0, -7.9],
  chosenLengths: [4, 9, 2],
  rejectedLengths: [5, 8, 3],
};
const REFERENCE = { chosen: [-10.9, -31.0, -6.6], rejected: [-11.7, -30.3, -7.2] };

function scores(values: {
  chosen: number[];
  rejected: number[];
  chosenLengths?: number[];
  rejectedLengths?: number[];
}): PairScores {
  return {
    chosen: tf.tensor1d(values.chosen),
    rejected: tf.tensor1d(values.rejected),
    ...(values.chosenLengths ? { chosenLengths: tf.tensor1d(values.chosenLengths) } : {}),
    ...(values.rejectedLengths ? { rejectedLengths: tf.tensor1d(values.rejectedLengths) } : {}),
  };
}

/** Computes inside a tidy and reads everything back as numbers. */
function evaluate(
  config: Partial<PreferenceLossConfig>,
  reference: typeof REFERENCE | null = REFERENCE,
  state = createPreferenceLossState(),
) {
  return tf.tidy(() => {
    const result = computePreferenceLoss(
      scores(POLICY),
      reference && scores(reference),
      resolvePreferenceLossConfig(config),
      state,
    );
    return {
      loss: result.loss.dataSync()[0]!,
      losses: Array.from(result.losses.dataSync()),
      chosenRewards: Array.from(result.chosenRewards.dataSync()),
      rejectedRewards: Array.from(result.rejectedRewards.dataSync()),
    };
  });
}

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

describe('computePreferenceLoss', () => {
  it('computes DPO and the rewards from policy minus reference scores', () => {
    const result = evaluate({ beta: 0.5 });
    const chosenLogRatios = POLICY.chosen.map((p, i) => p - REFERENCE.chosen[i]!);
    const rejectedLogRatios = POLICY.rejected.map((p, i) => p - REFERENCE.rejected[i]!);
    const expected = chosenLogRatios.map((c, i) => Math.log1p(Math.exp(-0.5 * (c - rejectedLogRatios[i]!))));
    expectClose(result.losses, expected, { rtol: 1e-5 });
    expectClose(result.loss, mean(expected), { rtol: 1e-5 });
    expectClose(
      result.chosenRewards,
      chosenLogRatios.map((c) => 0.5 * c),
      { rtol: 1e-5 },
    );
    expectClose(
      result.rejectedRewards,
      rejectedLogRatios.map((r) => 0.5 * r),
      { rtol: 1e-5 },
    );
  });

  it('sums the batch means of several losses with their weights', () => {
    const types: PreferenceLossType[] = ['sigmoid', 'ipo', 'sft', 'bco_pair', 'aot'];
    const weights = [0.8, 0.3, 1, 0.2, 0.5];
    const combined = evaluate({ beta: 0.7, lossType: types, lossWeights: weights, labelSmoothing: 0.1 });
    const single = types.map((type) => evaluate({ beta: 0.7, lossType: type, labelSmoothing: 0.1 }));
    const expectedLosses = POLICY.chosen.map((_, i) => single.reduce((s, r, k) => s + weights[k]! * r.losses[i]!, 0));
    expectClose(combined.losses, expectedLosses, { rtol: 1e-5 });
    expectClose(
      combined.loss,
      single.reduce((s, r, k) => s + weights[k]! * r.loss, 0),
      { rtol: 1e-5 },
    );
  });

  it('treats referenceFree and a null reference as zero reference scores', () => {
    const zeros = { chosen: [0, 0, 0], rejected: [0, 0, 0] };
    for (const type of ['sigmoid', 'aot', 'nca_pair'] as const) {
      const explicit = evaluate({ lossType: type }, zeros);
      expect(evaluate({ lossType: type, referenceFree: true })).toEqual(explicit);
      expect(evaluate({ lossType: type }, null)).toEqual(explicit);
    }
  });

  it('passes the IPO convention and the lengths through', () => {
    const h = (normalise: boolean) => (i: number) => {
      const c = POLICY.chosen[i]! - REFERENCE.chosen[i]!;
      const r = POLICY.rejected[i]! - REFERENCE.rejected[i]!;
      return normalise ? c / POLICY.chosenLengths[i]! - r / POLICY.rejectedLengths[i]! : c - r;
    };
    for (const normalise of [true, false]) {
      const expected = [0, 1, 2].map(h(normalise)).map((value) => (value - 1 / (2 * 0.25)) ** 2);
      expectClose(evaluate({ beta: 0.25, lossType: 'ipo', ipoNormalizeLength: normalise }).losses, expected, {
        rtol: 1e-5,
      });
    }
  });

  it('differentiates through the policy scores only', () => {
    const config = resolvePreferenceLossConfig({
      beta: 0.6,
      lossType: ['sigmoid', 'sft', 'aot'],
      lossWeights: [1, 0.1, 0.5],
    });
    const reference = scores(REFERENCE);
    const lengths = {
      chosenLengths: tf.tensor1d(POLICY.chosenLengths),
      rejectedLengths: tf.tensor1d(POLICY.rejectedLengths),
    };
    const f = (chosen: tf.Tensor, rejected: tf.Tensor): tf.Scalar =>
      computePreferenceLoss(
        { chosen: chosen as tf.Tensor1D, rejected: rejected as tf.Tensor1D, ...lengths },
        reference,
        config,
        createPreferenceLossState(),
      ).loss;
    checkGradient(f, [tf.tensor1d(POLICY.chosen), tf.tensor1d(POLICY.rejected)], { epsilon: 1e-2, atol: 1e-3 });

    // A reference produced on the tape (same model, adapters off, say) receives no gradient.
    const policyWeights = tf.variable(tf.tensor1d([1, 1]));
    const referenceWeights = tf.variable(tf.tensor1d([0.9, 1.1]));
    const { value, grads } = tf.variableGrads(() => {
      const scaled = (weights: tf.Variable, k: number, values: number[]) =>
        tf.mul(tf.slice(weights, k, 1), tf.tensor1d(values)) as tf.Tensor1D;
      const policy = {
        chosen: scaled(policyWeights, 0, POLICY.chosen),
        rejected: scaled(policyWeights, 1, POLICY.rejected),
      };
      const ref = {
        chosen: scaled(referenceWeights, 0, REFERENCE.chosen),
        rejected: scaled(referenceWeights, 1, REFERENCE.rejected),
      };
      return computePreferenceLoss(policy, ref, config, createPreferenceLossState()).loss;
    }, [policyWeights, referenceWeights]);
    expect(Array.from(grads[referenceWeights.name]!.dataSync())).toEqual([0, 0]);
    expect(Array.from(grads[policyWeights.name]!.dataSync()).every((g) => g !== 0 && Number.isFinite(g))).toBe(true);
    tf.dispose([value, ...Object.values(grads), policyWeights, referenceWeights]);
    tf.dispose([reference.chosen, reference.rejected, lengths.chosenLengths, lengths.rejectedLengths]);
  });

  it('returns four new tensors and leaks nothing else', async () => {
    const policy = scores(POLICY);
    const reference = scores(REFERENCE);
    const config = resolvePreferenceLossConfig({
      lossType: ['sigmoid', 'bco_pair', 'discopop', 'aot_unpaired', 'sigmoid_norm'],
    });
    const result = await expectNoLeak(
      () => computePreferenceLoss(policy, reference, config, createPreferenceLossState()),
      4,
    );
    tf.dispose(Object.values(result as PreferenceLossResult));
    await expectNoLeak(() =>
      tf.dispose(Object.values(computePreferenceLoss(policy, null, config, createPreferenceLossState()))),
    );
    expect(policy.chosen.isDisposed || reference.rejected.isDisposed).toBe(false);
    tf.dispose([...Object.values(policy), ...Object.values(reference)]);
  });

  it('propagates NaN scores to the loss', () => {
    const result = tf.tidy(() => {
      const policy = { chosen: tf.tensor1d([NaN, -1]), rejected: tf.tensor1d([-2, -3]) };
      return computePreferenceLoss(
        policy,
        null,
        resolvePreferenceLossConfig(),
        createPreferenceLossState(),
      ).loss.dataSync()[0];
    });
    expect(result).toBeNaN();
  });

  it('rejects mismatched shapes, an empty batch and an unresolved config', () => {
    const config = resolvePreferenceLossConfig();
    const state = createPreferenceLossState();
    tf.tidy(() => {
      const call =
        (policy: PairScores, reference: PairScores | null = null, c: ResolvedPreferenceLossConfig = config) =>
        () =>
          computePreferenceLoss(policy, reference, c, state);
      const three = tf.zeros([3]) as tf.Tensor1D;
      const two = tf.zeros([2]) as tf.Tensor1D;
      expect(call({ chosen: three, rejected: two })).toThrow(
        new ShapeMismatchError('policy.rejected', [3], [2]).message,
      );
      expect(call({ chosen: three, rejected: three }, { chosen: two, rejected: two })).toThrow(
        'reference.chosen must have shape [3]: got [2]',
      );
      expect(call({ chosen: three, rejected: three, chosenLengths: two })).toThrow(
        'policy.chosenLengths must have shape [3]: got [2]',
      );
      expect(call({ chosen: tf.zeros([3, 1]) as unknown as tf.Tensor1D, rejected: three })).toThrow(ShapeMismatchError);
      expect(call({ chosen: tf.zeros([0]) as tf.Tensor1D, rejected: tf.zeros([0]) as tf.Tensor1D })).toThrow(
        InvalidArgumentError,
      );
      expect(call({ chosen: three, rejected: three }, null, { ...config, beta: -0.1 })).toThrow(
        'config.beta must be a finite number >= 0: got -0.1',
      );
      expect(call({ chosen: three, rejected: three }, null, { ...config, lossWeights: [] })).toThrow(
        InvalidArgumentError,
      );
    });
  });
});

describe('loss state', () => {
  it('starts empty, and keeps the running mean of per-step batch mean rewards', () => {
    const state = createPreferenceLossState();
    expect(state).toEqual({ bcoRunningMean: 0, bcoRunningCount: 0 });
    expect(createPreferenceLossState()).not.toBe(state);
    const steps = [
      [
        [1, 3],
        [0, 0],
      ],
      [
        [-2, -2],
        [-2, -2],
      ],
      [
        [4, 0],
        [1, 3],
      ],
    ] as const; // batch means 1, -2, 2
    tf.tidy(() => {
      for (const [chosen, rejected] of steps)
        updatePreferenceLossState(state, tf.tensor1d([...chosen]), tf.tensor1d([...rejected]));
    });
    expect(state.bcoRunningCount).toBe(3);
    expect(state.bcoRunningMean).toBeCloseTo(1 / 3, 12);
  });

  it('commits the same shift the bco_pair loss already used in that step', () => {
    const state = createPreferenceLossState();
    const config = { lossType: 'bco_pair' as const, beta: 0.5 };
    const first = evaluate(config, REFERENCE, state);
    tf.tidy(() => {
      updatePreferenceLossState(state, tf.tensor1d(first.chosenRewards), tf.tensor1d(first.rejectedRewards));
    });
    expect(state.bcoRunningMean).toBeCloseTo(mean([...first.chosenRewards, ...first.rejectedRewards]), 6);
    // Re-running the same batch with the committed state reproduces the same shift, hence the same loss.
    expectClose(evaluate(config, REFERENCE, state).losses, first.losses, { rtol: 1e-6 });
  });

  it('rejects mismatched or non-finite rewards and leaves the state untouched', () => {
    const state = { bcoRunningMean: 0.5, bcoRunningCount: 2 };
    tf.tidy(() => {
      expect(() => updatePreferenceLossState(state, tf.tensor1d([1, 2]), tf.tensor1d([1]))).toThrow(
        'rejectedRewards must have shape [2]: got [1]',
      );
      expect(() => updatePreferenceLossState(state, tf.tensor1d([NaN]), tf.tensor1d([1]))).toThrow(
        InvalidArgumentError,
      );
      // With the step, the message says where training broke.
      expect(() => updatePreferenceLossState(state, tf.tensor1d([Infinity]), tf.tensor1d([-Infinity]), 7)).toThrow(
        'mean reward must be finite: got NaN at step 7 (the mean of chosenRewards and rejectedRewards, for the bco_pair loss state)',
      );
      expect(() => updatePreferenceLossState(state, tf.tensor1d([1]), tf.tensor1d([Infinity]), 3)).toThrow(
        NonFiniteError,
      );
    });
    expect(state).toEqual({ bcoRunningMean: 0.5, bcoRunningCount: 2 });
  });
});
