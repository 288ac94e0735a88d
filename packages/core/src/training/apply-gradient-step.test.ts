import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import { applyGradientStep } from './apply-gradient-step.js';

/** A fresh variable [1, 1], its AdamW (no decay), and gradient [3, 4] (norm 5). */
function setup(): { w: tf.Variable; optimizer: AdamWOptimizer; grads: Map<string, tf.Tensor> } {
  const w = tf.variable(tf.tensor1d([1, 1]), true, `apply-gradient-step-${Math.random()}`);
  const optimizer = new AdamWOptimizer(new Map([['w', w]]), { weightDecay: 0 });
  return { w, optimizer, grads: new Map([['w', tf.tensor1d([3, 4])]]) };
}

describe('applyGradientStep', () => {
  it('returns the norm before clipping and applies the clipped gradient', async () => {
    const { w, optimizer, grads } = setup();
    const gradNorm = await expectNoLeak(() =>
      applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: 0.1, stepIndex: 0 }),
    );
    expect(gradNorm).toBeCloseTo(5, 6); // sqrt(3^2 + 4^2)
    // First moment after one step: (1 - beta1) * g * maxGradNorm / (norm + 1e-6), PyTorch's clip coefficient.
    const m = (await optimizer.state()).moments.get('w')!.m;
    const scale = 1 / (5 + 1e-6);
    expect(m[0]).toBeCloseTo(0.1 * 3 * scale, 7);
    expect(m[1]).toBeCloseTo(0.1 * 4 * scale, 7);
    // Adam's first step moves each weight by about lr (m-hat / sqrt(v-hat) = sign(g)).
    const values = await w.data();
    expect(values[0]).toBeCloseTo(0.9, 5);
    expect(values[1]).toBeCloseTo(0.9, 5);
    expect(grads.get('w')!.isDisposed).toBe(false); // the caller's
    tf.dispose([...grads.values(), w]);
    optimizer.dispose();
  });

  it('does not clip with maxGradNorm Infinity', async () => {
    const { w, optimizer, grads } = setup();
    expect(
      await applyGradientStep(optimizer, grads, { maxGradNorm: Infinity, learningRate: 0.1, stepIndex: 0 }),
    ).toBeCloseTo(5, 6);
    const m = (await optimizer.state()).moments.get('w')!.m;
    expect(m[0]).toBeCloseTo(0.1 * 3, 7); // (1 - beta1) * g, unscaled
    expect(m[1]).toBeCloseTo(0.1 * 4, 7);
    tf.dispose([...grads.values(), w]);
    optimizer.dispose();
  });

  it('refuses a non-finite norm before any weight changes, leaving no tensor behind', async () => {
    const { w, optimizer } = setup();
    const grads = new Map([['w', tf.tensor1d([NaN, 1])]]);
    await expectNoLeak(async () => {
      await expect(
        applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: 0.1, stepIndex: 7 }),
      ).rejects.toThrow(NonFiniteError);
      await expect(
        applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: 0.1, stepIndex: 7 }),
      ).rejects.toThrow(/grad_norm.*step 7|step 7.*grad_norm/);
    });
    expect(Array.from(await w.data())).toEqual([1, 1]);
    expect(optimizer.step).toBe(0);
    tf.dispose([...grads.values(), w]);
    optimizer.dispose();
  });

  it('stops with a NonFiniteError naming the step and the first bad variable when an update leaves a non-finite weight', async () => {
    // A finite gradient (norm 1) on weights that already hold an infinity: the update keeps it
    // infinite, and the post-update check names it, so no checkpoint of it can follow.
    const good = tf.variable(tf.tensor1d([1, 1]), true, `apply-gradient-step-good-${Math.random()}`);
    const bad = tf.variable(tf.tensor1d([1, Infinity, 1]), true, `apply-gradient-step-bad-${Math.random()}`);
    const optimizer = new AdamWOptimizer(
      new Map([
        ['good', good],
        ['bad', bad],
      ]),
      { weightDecay: 0 },
    );
    const grads = new Map([
      ['good', tf.tensor1d([0, 1])],
      ['bad', tf.tensor1d([0, 0, 0])],
    ]);
    await expectNoLeak(async () => {
      const step = applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: 0.1, stepIndex: 3 });
      await expect(step).rejects.toThrow(NonFiniteError);
      await expect(step).rejects.toThrow(
        'variable "bad" must be finite: got Infinity at step 3 (element 1, after the optimizer update; training stopped before saving)',
      );
    });
    expect(await optimizer.findNonFinite()).toEqual({ name: 'variable "bad"', index: 1, value: Infinity });
    tf.dispose([...grads.values(), good, bad]);
    optimizer.dispose();
  });
});
