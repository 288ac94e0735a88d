import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { checkGradient } from '../testing/finite-difference.js';
import { restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';
import {
  planBatchMatMul,
  registerWasmBatchMatMulKernel,
  restoreWasmBatchMatMulKernel,
  wasmBatchMatMulKernelActive,
} from './wasm-batch-mat-mul-kernel.js';

interface Case {
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

// Stored shapes. Batched, transposed, padded (m % 4, n % 8 != 0), rank 4, and one side shared.
const CASES: Case[] = [
  { a: [8, 16, 8], b: [8, 8, 16], transposeA: false, transposeB: false },
  { a: [2, 3, 5, 7], b: [2, 3, 7, 6], transposeA: false, transposeB: false },
  { a: [4, 7, 5], b: [4, 7, 6], transposeA: true, transposeB: false },
  { a: [4, 5, 7], b: [4, 6, 7], transposeA: false, transposeB: true },
  { a: [4, 7, 5], b: [4, 6, 7], transposeA: true, transposeB: true },
  { a: [1, 5, 7], b: [3, 7, 9], transposeA: false, transposeB: false },
  { a: [3, 5, 7], b: [9, 7], transposeA: false, transposeB: true },
  { a: [11, 13], b: [11, 9], transposeA: true, transposeB: false },
];
const label = (c: Case) => `[${c.a}]${c.transposeA ? '^T' : ''} x [${c.b}]${c.transposeB ? '^T' : ''}`;

/** Inputs of case i as plain arrays, the same on every backend (a seed of 0 would mean unseeded). */
const inputs = (c: Case, i: number) =>
  tf.tidy(() =>
    [tf.randomNormal(c.a, 0, 1, 'float32', 10 * i + 1), tf.randomNormal(c.b, 0, 1, 'float32', 10 * i + 2)].map(
      (t) => t.dataSync() as Float32Array,
    ),
  );

/** One head of attention, `softmax(q k^T / sqrt(d)) v`, summed against fixed weights: a scalar. */
function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Scalar {
  const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[q.rank - 1]!));
  const context = tf.matMul(tf.softmax(scores), v);
  return tf.sum(tf.mul(context, tf.reshape(tf.linspace(-1, 1, context.size), context.shape)));
}

const ATTENTION_SHAPES = [
  [6, 5, 4],
  [6, 5, 4],
  [6, 5, 3],
];
const attentionInputs = () => ATTENTION_SHAPES.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 100 + i));

const cpu = new Map<Case, Float32Array>();
let cpuAttentionGradients: Float32Array[] = [];

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', quiet: true });
  CASES.forEach((c, i) => {
    const [a, b] = inputs(c, i);
    cpu.set(
      c,
      tf.tidy(
        () => tf.matMul(tf.tensor(a!, c.a), tf.tensor(b!, c.b), c.transposeA, c.transposeB).dataSync() as Float32Array,
      ),
    );
  });
  cpuAttentionGradients = tf.tidy(() =>
    tf
      .grads(attention)(attentionInputs())
      .map((g) => g.dataSync() as Float32Array),
  );
  await selectBackend({ backend: 'wasm', quiet: true });
});

afterAll(async () => {
  restoreWasmBatchMatMulKernel();
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('planBatchMatMul', () => {
  it('leaves to the wasm backend what XNNPACK already runs, and broadcasts it does not handle', () => {
    expect(planBatchMatMul([64, 32], [32, 16], false, false)).toBeUndefined();
    expect(planBatchMatMul([1, 64, 32], [1, 32, 16], false, false)).toBeUndefined();
    expect(planBatchMatMul([2, 1, 4, 4], [1, 3, 4, 4], false, false)).toBeUndefined();
    expect(planBatchMatMul([2, 0, 4], [2, 4, 4], false, false)).toBeUndefined();
    expect(planBatchMatMul([64, 32], [16, 32], false, true)).toEqual({
      batchA: 1,
      batchB: 1,
      batch: 1,
      m: 64,
      k: 32,
      n: 16,
      transposeA: false,
      transposeB: true,
    });
    expect(planBatchMatMul([2, 3, 5, 7], [3, 7, 6], false, false)).toBeUndefined();
    expect(planBatchMatMul([2, 3, 5, 7], [7, 6], false, false)).toMatchObject({ batchA: 6, batchB: 1, batch: 6 });
  });
});

describe('the SIMD BatchMatMul kernel on wasm', () => {
  it('is registered by selectBackend on wasm and can be removed and put back', () => {
    expect(wasmBatchMatMulKernelActive()).toBe(true);
    restoreWasmBatchMatMulKernel();
    expect(wasmBatchMatMulKernelActive()).toBe(false);
    expect(registerWasmBatchMatMulKernel()).toBe(true);
    expect(registerWasmBatchMatMulKernel()).toBe(true);
    expect(wasmBatchMatMulKernelActive()).toBe(true);
  });

  it.each(CASES.map((c, i) => [label(c), c, i] as const))('matches the cpu backend for %s', (_, c, i) => {
    const [a, b] = inputs(c, i);
    const product = tf.tidy(() => tf.matMul(tf.tensor(a!, c.a), tf.tensor(b!, c.b), c.transposeA, c.transposeB));
    expect(product.shape).toEqual(
      tf.tidy(() => tf.matMul(tf.zeros(c.a), tf.zeros(c.b), c.transposeA, c.transposeB).shape),
    );
    expectClose(product.dataSync() as Float32Array, cpu.get(c)!, { atol: 1e-5, rtol: 1e-5 });
    product.dispose();
  });

  it("gives attention's gradients as the cpu backend does, and as finite differences", () => {
    const x = attentionInputs();
    const gradients = tf.tidy(() =>
      tf
        .grads(attention)(x)
        .map((g) => g.dataSync() as Float32Array),
    );
    gradients.forEach((g, i) => {
      expectClose(g, cpuAttentionGradients[i]!, { atol: 1e-5, rtol: 1e-4 });
    });
    const check = checkGradient(attention, x, { epsilon: 1e-2, atol: 2e-2, rtol: 2e-2 });
    expect(check.maxAbsError).toBeLessThan(2e-2);
    tf.dispose(x);
  });

  it('leaves no tensors behind, forward and backward', async () => {
    const x = attentionInputs();
    await expectNoLeak(() => {
      tf.tidy(() => {
        tf.grads(attention)(x);
      });
    });
    tf.dispose(x);
  });
});
