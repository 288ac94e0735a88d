import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';
import { wasmEqualKernelActive } from './wasm-equal-kernel.js';
import { restoreWasmKernels } from './wasm-kernel-overrides.js';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm', quiet: true });
});

afterAll(async () => {
  restoreWasmKernels();
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

const equal = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => ({ shape: tf.equal(a, b).shape, values: Array.from(tf.equal(a, b).dataSync()) }));

describe('the Equal kernel override on wasm', () => {
  it('is registered by selectBackend on wasm', () => {
    expect(wasmEqualKernelActive()).toBe(true);
  });

  it('compares one value per row, in either operand order, NaN equal to nothing', () => {
    const result = tf.tidy(() => {
      const rows = tf.tensor2d([1, 5, 5, Number.NaN, 2, 7], [2, 3]);
      const maxima = tf.tensor2d([5, Number.NaN], [2, 1]);
      return [equal(rows, maxima), equal(maxima, rows)];
    });
    for (const r of result) expect(r).toEqual({ shape: [2, 3], values: [0, 1, 1, 0, 0, 0] });
  });

  it('compares equal shapes, float32 and int32', () => {
    const [floats, ints] = tf.tidy(() => [
      equal(tf.tensor1d([0.5, -0, 3]), tf.tensor1d([0.5, 0, 3.0000002])),
      equal(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([1, 0, 3, 0], [2, 2], 'int32')),
    ]);
    expect(floats).toEqual({ shape: [3], values: [1, 1, 0] });
    expect(ints).toEqual({ shape: [2, 2], values: [1, 0, 1, 0] });
  });

  it('leaves other broadcasts to the backend, with the same answers', () => {
    const [columns, scalar] = tf.tidy(() => [
      equal(tf.tensor2d([1, 2, 3, 1, 0, 3], [2, 3]), tf.tensor1d([1, 2, 3])),
      equal(tf.tensor1d([4, 2, 4]), tf.scalar(4)),
    ]);
    expect(columns).toEqual({ shape: [2, 3], values: [1, 1, 1, 1, 0, 1] });
    expect(scalar).toEqual({ shape: [3], values: [1, 0, 1] });
  });
});
