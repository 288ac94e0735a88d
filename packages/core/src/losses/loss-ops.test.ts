import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { checkGradient } from '../testing/finite-difference.js';
import { logSigmoid, perUnit, sortAscending, stopGradient } from './loss-ops.js';

describe('stopGradient', () => {
  it('is the identity forward and blocks the gradient backward', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(a), a), stopGradient(a))))([x]);
    // d/da [sg(a) * a + sg(a)] = sg(a) = a
    expectClose(dx!, [1, -2, 3]);
    expectClose(stopGradient(x), [1, -2, 3]);
    tf.dispose([x, dx!]);
  });
});

describe('sortAscending', () => {
  it('sorts and routes each output gradient back to its source', () => {
    const x = tf.tensor1d([3, 1, 2.5, -4]);
    expectClose(
      tf.tidy(() => sortAscending(x)),
      [-4, 1, 2.5, 3],
    );
    const weights = tf.tensor1d([1, 10, 100, 1000]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(sortAscending(a as tf.Tensor1D), weights)))([x]);
    expectClose(dx!, [1000, 10, 100, 1]);
    const small = tf.tensor1d([0.5, -1, 2, 0.25]);
    checkGradient((a) => tf.sum(tf.mul(sortAscending(a as tf.Tensor1D), small)), [x], { epsilon: 1e-2 });
    small.dispose();
    tf.dispose([x, weights, dx!]);
  });
  it('leaks nothing with or without a tape', async () => {
    const x = tf.tensor1d([2, 0, 1]);
    await expectNoLeak(() => sortAscending(x).dispose());
    await expectNoLeak(() =>
      tf
        .tidy(() => tf.grads((a: tf.Tensor) => tf.sum(sortAscending(a as tf.Tensor1D)))([x]))
        .forEach((g) => {
          g.dispose();
        }),
    );
    x.dispose();
  });
});

describe('logSigmoid', () => {
  it('is finite at the extremes and exact at 0', () => {
    expectClose(
      tf.tidy(() => logSigmoid(tf.tensor1d([0, 5e7, -5e7, 30]))),
      [-Math.LN2, 0, -5e7, -Math.exp(-30)],
      { atol: 1e-12 },
    );
  });
  it('keeps its gradient when computed inside a tidy under variableGrads (tf.logSigmoid does not)', () => {
    const v = tf.variable(tf.tensor1d([0.5, -2]));
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(logSigmoid(tf.mul(2, v)))), [v]);
    // d/dv log sigmoid(2v) = 2 sigmoid(-2v)
    expectClose(grads[v.name]!, [2 / (1 + Math.exp(1)), 2 / (1 + Math.exp(-4))]);
    // The reason logSigmoid exists: tf.logSigmoid's backward pass reads a tensor the tidy freed.
    expect(() => tf.variableGrads(() => tf.tidy(() => tf.sum(tf.logSigmoid(tf.mul(2, v)))), [v])).toThrow();
    tf.dispose([v, value, ...Object.values(grads)]);
  });
});

describe('perUnit', () => {
  it('divides by lengths clamped to at least 1', () => {
    expectClose(
      tf.tidy(() => perUnit(tf.tensor1d([6, 6, 6]), tf.tensor1d([3, 0, 0.5]))),
      [2, 6, 6],
    );
  });
});
