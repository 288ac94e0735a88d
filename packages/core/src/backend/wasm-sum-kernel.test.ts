import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';
import { restoreWasmKernels } from './wasm-kernel-overrides.js';
import { leadingReducedAxes, wasmSumKernelActive } from './wasm-sum-kernel.js';

interface Case {
  readonly shape: number[];
  readonly axis: number | number[];
  readonly keepDims: boolean;
}

// Leading-axis sums (ours) and others (the wasm backend's own kernel), with and without keepDims.
const CASES: Case[] = [
  { shape: [37, 13], axis: 0, keepDims: false },
  { shape: [37, 13], axis: [0], keepDims: true },
  { shape: [4, 9, 6], axis: [1, 0], keepDims: false },
  { shape: [4, 9, 6], axis: [0], keepDims: true },
  { shape: [4, 9, 6], axis: -1, keepDims: false },
  { shape: [4, 9, 6], axis: [0, 2], keepDims: false },
  { shape: [64], axis: 0, keepDims: false },
];
const label = (c: Case) => `[${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? ', keepDims' : ''}`;
const input = (c: Case, i: number) =>
  tf.tidy(() => tf.randomNormal(c.shape, 0, 1, 'float32', i + 1).dataSync() as Float32Array);

/** A dense layer with bias and a layer-norm-like gain: their gradients are leading-axis sums. */
function denseLoss(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, gain: tf.Tensor): tf.Scalar {
  const y = tf.add(tf.matMul(x, w), b);
  return tf.sum(tf.square(tf.mul(y, gain)));
}
const denseInputs = () =>
  [[24, 5], [5, 7], [7], [7]].map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 50 + i));

const cpu = new Map<Case, Float32Array>();
let cpuGradients: Float32Array[] = [];

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', quiet: true });
  CASES.forEach((c, i) => {
    cpu.set(
      c,
      tf.tidy(() => tf.sum(tf.tensor(input(c, i), c.shape), c.axis, c.keepDims).dataSync() as Float32Array),
    );
  });
  cpuGradients = tf.tidy(() =>
    tf
      .grads(denseLoss)(denseInputs())
      .map((g) => g.dataSync() as Float32Array),
  );
  await selectBackend({ backend: 'wasm', quiet: true });
});

afterAll(async () => {
  restoreWasmKernels();
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('leadingReducedAxes', () => {
  it('counts the reduced axes when they are exactly the leading ones and some axis is kept', () => {
    expect(leadingReducedAxes([8, 4], 0)).toBe(1);
    expect(leadingReducedAxes([2, 8, 4], [1, 0])).toBe(2);
    expect(leadingReducedAxes([2, 8, 4], [0, 0])).toBe(1);
    expect(leadingReducedAxes([2, 8, 4], -1)).toBeUndefined();
    expect(leadingReducedAxes([2, 8, 4], [0, 2])).toBeUndefined();
    expect(leadingReducedAxes([8, 4], [0, 1])).toBeUndefined();
    expect(leadingReducedAxes([8], 0)).toBeUndefined();
  });
});

describe('the Sum kernel override on wasm', () => {
  it('is registered by selectBackend on wasm', () => {
    expect(wasmSumKernelActive()).toBe(true);
  });

  it.each(CASES.map((c, i) => [label(c), c, i] as const))('matches the cpu backend for %s', (_, c, i) => {
    const result = tf.tidy(() => tf.sum(tf.tensor(input(c, i), c.shape), c.axis, c.keepDims));
    expect(result.shape).toEqual(tf.tidy(() => tf.sum(tf.zeros(c.shape), c.axis, c.keepDims).shape));
    expectClose(result.dataSync() as Float32Array, cpu.get(c)!, { atol: 1e-5, rtol: 1e-5 });
    result.dispose();
  });

  it('gives bias and gain gradients as the cpu backend does, and leaks nothing', async () => {
    const x = denseInputs();
    const gradients = await expectNoLeak(() =>
      tf.tidy(() =>
        tf
          .grads(denseLoss)(x)
          .map((g) => g.dataSync() as Float32Array),
      ),
    );
    gradients.forEach((g, i) => {
      expectClose(g, cpuGradients[i]!, { atol: 1e-4, rtol: 1e-5 });
    });
    tf.dispose(x);
  });

  it('leaves a summed tensor usable as a matmul operand of another shape', () => {
    // Reshapes share data: a summed tensor read later as [6, 4] must still give the right product.
    const [total, product] = tf.tidy(() => {
      const x = tf.reshape(tf.range(0, 24, 1, 'float32'), [4, 6]);
      const summed = tf.sum(x, 0); // [6]
      return [summed.dataSync(), tf.matMul(tf.ones([1, 6]), tf.reshape(x, [6, 4])).dataSync()];
    });
    expect(Array.from(total!)).toEqual([36, 40, 44, 48, 52, 56]);
    expect(Array.from(product!)).toEqual([60, 66, 72, 78]);
  });
});
