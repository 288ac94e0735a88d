import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { batchMatMulGradConfig } from './batch-mat-mul-grad.js';
import { registerGradientOverrides, restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';

interface Case {
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const swapLastTwo = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!];

// Logical shapes [..., m, k] x [..., k, n]; stored transposed where the flag says so.
// The test setup registers tfjs-core's own gradients; the reference is computed with them.
// Batch broadcasting as tfjs's kernels compute it correctly (one side's batch is 1, or a suffix
// of the other's). [2,1,m,k] x [1,3,k,n] is left out: tfjs 4.22's forward itself is wrong there.
const SHAPES: [number[], number[]][] = [
  [
    [3, 4],
    [4, 5],
  ], // 2-D
  [
    [2, 3, 4],
    [2, 4, 5],
  ], // batched, small: one batched call
  [
    [2, 3, 4],
    [4, 5],
  ], // linear layer: weight gradient folded into one 2-D matmul
  [
    [3, 4],
    [2, 4, 5],
  ], // left operand shared by the batch
  [
    [1, 3, 4],
    [2, 4, 5],
  ], // explicit batch 1
  [
    [2, 3, 3, 4],
    [3, 4, 5],
  ], // batch [2,3] against [3]: partial broadcast and sum
  [
    [2, 130, 129],
    [2, 129, 131],
  ], // large per-batch products: split into 2-D matmuls
];
const CASES: Case[] = SHAPES.flatMap(([a, b]) =>
  [false, true].flatMap((transposeA) => [false, true].map((transposeB) => ({ a, b, transposeA, transposeB }))),
);

interface CaseData {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly dy: Float32Array;
  readonly aShape: number[];
  readonly bShape: number[];
  readonly dyShape: number[];
}

function makeData(c: Case, seed: number): CaseData {
  return tf.tidy(() => {
    const aShape = c.transposeA ? swapLastTwo(c.a) : c.a;
    const bShape = c.transposeB ? swapLastTwo(c.b) : c.b;
    const a = tf.randomNormal(aShape, 0, 1, 'float32', seed);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', seed + 1);
    const dyShape = tf.matMul(a, b, c.transposeA, c.transposeB).shape;
    const dy = tf.randomNormal(dyShape, 0, 1, 'float32', seed + 2);
    return {
      a: a.dataSync() as Float32Array,
      b: b.dataSync() as Float32Array,
      dy: dy.dataSync() as Float32Array,
      aShape,
      bShape,
      dyShape,
    };
  });
}

/** Gradients of matMul through whichever BatchMatMul gradient is registered, on the current backend. */
function matMulGradients(c: Case, data: CaseData): Float32Array[] {
  const grads = tf.tidy(() => {
    const a = tf.tensor(data.a, data.aShape);
    const b = tf.tensor(data.b, data.bShape);
    const dy = tf.tensor(data.dy, data.dyShape);
    return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, c.transposeA, c.transposeB))([a, b], dy);
  });
  const values = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  return values;
}

/** Sums a gradient computed over the broadcast batch down to the operand's shape. */
function sumTo(gradient: tf.Tensor, shape: number[]): tf.Tensor {
  const offset = gradient.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < gradient.rank - 2; i++) {
    const size = i < offset ? 1 : shape[i - offset]!;
    if (size === 1 && gradient.shape[i] !== 1) axes.push(i);
  }
  return tf.reshape(axes.length ? tf.sum(gradient, axes) : gradient, shape);
}

/**
 * The reference: tfjs-core's own BatchMatMul gradient, on cpu. It does not sum over broadcast
 * batch axes and fails with a shape error there; for those cases the reference is its formula
 * (BatchMatMul_grad.ts: transposed matmuls) followed by that sum.
 */
function referenceGradients(c: Case, data: CaseData): { values: Float32Array[]; builtinFails: boolean } {
  try {
    return { values: matMulGradients(c, data), builtinFails: false };
  } catch (error) {
    if (!String(error).includes('does not match the shape of the input')) throw error;
  }
  const values = tf.tidy(() => {
    const a = tf.tensor(data.a, data.aShape);
    const b = tf.tensor(data.b, data.bShape);
    const dy = tf.tensor(data.dy, data.dyShape);
    const [da, db] =
      !c.transposeA && !c.transposeB
        ? [tf.matMul(dy, b, false, true), tf.matMul(a, dy, true, false)]
        : !c.transposeA
          ? [tf.matMul(dy, b), tf.matMul(dy, a, true, false)]
          : !c.transposeB
            ? [tf.matMul(b, dy, false, true), tf.matMul(a, dy)]
            : [tf.matMul(b, dy, true, true), tf.matMul(dy, a, true, true)];
    return [sumTo(da, data.aShape).dataSync() as Float32Array, sumTo(db, data.bShape).dataSync() as Float32Array];
  });
  return { values, builtinFails: true };
}

const label = (c: Case) =>
  `[${c.a}] x [${c.b}]${c.transposeA ? ' transposeA' : ''}${c.transposeB ? ' transposeB' : ''}`;
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };
const datasets = new Map<Case, CaseData>();
const references = new Map<Case, { values: Float32Array[]; builtinFails: boolean }>();
const builtin = tf.getGradient('BatchMatMul');

beforeAll(() => {
  CASES.forEach((c, i) => {
    const data = makeData(c, 10 * i);
    datasets.set(c, data);
    references.set(c, referenceGradients(c, data)); // with tfjs's own gradient
  });
  registerGradientOverrides(['BatchMatMul']);
});

afterAll(async () => {
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('BatchMatMul gradient override on cpu', () => {
  it("replaces tfjs's own gradient, which fails whenever the batch axes broadcast", () => {
    expect(builtin).toBeDefined();
    expect(tf.getGradient('BatchMatMul')).toBe(batchMatMulGradConfig);
    const broadcast = (c: Case) => c.a.slice(0, -2).join() !== c.b.slice(0, -2).join();
    for (const c of CASES) expect(references.get(c)!.builtinFails, label(c)).toBe(broadcast(c));
  });

  it.each(CASES.map((c) => [label(c), c] as const))("matches tfjs's gradient for %s", (_, c) => {
    const [da, db] = matMulGradients(c, datasets.get(c)!);
    const [ra, rb] = references.get(c)!.values;
    expectClose(da!, ra!, TOLERANCE);
    expectClose(db!, rb!, TOLERANCE);
  });

  it('leaves no tensors behind', async () => {
    const c = CASES[8]!; // [2,3,4] x [4,5]
    await expectNoLeak(() => {
      matMulGradients(c, datasets.get(c)!);
    });
  });
});

describe('BatchMatMul gradient override on wasm', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });

  it('runs on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getGradient('BatchMatMul')).toBe(batchMatMulGradConfig);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('matches the cpu reference for %s', (_, c) => {
    const [da, db] = matMulGradients(c, datasets.get(c)!);
    const [ra, rb] = references.get(c)!.values;
    expectClose(da!, ra!, TOLERANCE);
    expectClose(db!, rb!, TOLERANCE);
  });
});
