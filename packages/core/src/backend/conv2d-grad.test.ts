import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { conv2DGradConfig } from './conv2d-grad.js';
import type { Conv2DPadding, Conv2DStrides } from './conv2d-gradients.js';
import { registerGradientOverrides, restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';

type Shape4D = [number, number, number, number];

interface Case {
  readonly x: Shape4D;
  readonly filter: Shape4D;
  readonly strides: Conv2DStrides;
  readonly pad: Conv2DPadding;
}

// Stride 1 and 2 (and mixed, 3), same / valid / explicit, odd and even sizes, 1-5 channels.
const CASES: Case[] = [
  { x: [2, 5, 5, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 6, 6, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 7, 7, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { x: [1, 8, 8, 3], filter: [4, 4, 3, 2], strides: 2, pad: 'same' },
  { x: [2, 6, 7, 1], filter: [2, 3, 1, 3], strides: [2, 1], pad: 'valid' },
  { x: [1, 5, 6, 2], filter: [3, 3, 2, 2], strides: 1, pad: 'valid' },
  { x: [1, 9, 9, 2], filter: [3, 3, 2, 2], strides: 3, pad: 'same' },
  { x: [2, 6, 6, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'valid' },
  {
    x: [1, 5, 5, 2],
    filter: [3, 3, 2, 2],
    strides: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  {
    x: [1, 4, 4, 1],
    filter: [3, 3, 1, 1],
    strides: 1,
    pad: [
      [0, 0],
      [4, 4],
      [4, 4],
      [0, 0],
    ],
  }, // pads wider than the kernel
];

interface CaseData {
  readonly x: Float32Array;
  readonly filter: Float32Array;
  readonly dy: Float32Array;
  readonly dyShape: Shape4D;
}

function makeData(c: Case, seed: number): CaseData {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed);
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', seed + 1);
    const dyShape = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, c.strides, c.pad).shape;
    const dy = tf.randomNormal(dyShape, 0, 1, 'float32', seed + 2);
    return {
      x: x.dataSync() as Float32Array,
      filter: filter.dataSync() as Float32Array,
      dy: dy.dataSync() as Float32Array,
      dyShape,
    };
  });
}

/**
 * Gradients of conv2d and conv2dTranspose through whichever gradients are registered, on the
 * current backend. Before the overrides are registered these are tfjs's own (Conv2D_grad.ts:
 * Conv2DBackpropInput and Conv2DBackpropFilter kernels), the reference on cpu.
 */
function convGradients(c: Case, data: CaseData): { conv: Float32Array[]; transpose: Float32Array[] } {
  const read = (tensors: tf.Tensor[]) => {
    const values = tensors.map((t) => t.dataSync() as Float32Array);
    tf.dispose(tensors);
    return values;
  };
  const x = tf.tensor4d(data.x, c.x);
  const filter = tf.tensor4d(data.filter, c.filter);
  const dy = tf.tensor4d(data.dy, data.dyShape);
  const conv = read(
    tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad))(
      [x, filter],
      dy,
    ),
  );
  // conv2dTranspose maps dy-shaped tensors to x-shaped ones; its upstream gradient is x-shaped.
  const transpose = read(
    tf.grads((o: tf.Tensor, f: tf.Tensor) =>
      tf.conv2dTranspose(o as tf.Tensor4D, f as tf.Tensor4D, c.x, c.strides, c.pad),
    )([dy, filter], x),
  );
  tf.dispose([x, filter, dy]);
  return { conv, transpose };
}

const label = (c: Case) =>
  `x [${c.x}] filter [${c.filter}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };
const datasets = new Map<Case, CaseData>();
const references = new Map<Case, { conv: Float32Array[]; transpose: Float32Array[] }>();

function expectMatches(c: Case): void {
  const actual = convGradients(c, datasets.get(c)!);
  const expected = references.get(c)!;
  actual.conv.forEach((g, i) => {
    expectClose(g, expected.conv[i]!, TOLERANCE);
  });
  actual.transpose.forEach((g, i) => {
    expectClose(g, expected.transpose[i]!, TOLERANCE);
  });
}

beforeAll(() => {
  CASES.forEach((c, i) => {
    const data = makeData(c, 10 * i);
    datasets.set(c, data);
    references.set(c, convGradients(c, data)); // tfjs's own gradients, on cpu
  });
  registerGradientOverrides(['Conv2D', 'Conv2DBackpropInput']);
});

afterAll(async () => {
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('Conv2D and Conv2DBackpropInput gradient overrides on cpu', () => {
  it.each(CASES.map((c) => [label(c), c] as const))("match tfjs's own gradients for %s", (_, c) => expectMatches(c));

  it('leave no tensors behind', async () => {
    await expectNoLeak(() => {
      convGradients(CASES[1]!, datasets.get(CASES[1]!)!);
    });
  });

  it('reject dilations and NCHW with a clear error', () => {
    const x = tf.zeros([1, 5, 5, 1]) as tf.Tensor4D;
    const filter = tf.zeros([2, 2, 1, 1]) as tf.Tensor4D;
    const dilated = () => tf.grads((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, filter, 1, 'valid', 'NHWC', 2))([x]);
    expect(dilated).toThrow(InvalidArgumentError);
    expect(dilated).toThrow('Conv2D dilations must be 1 for the dpo-ts gradient override: got 2');
    const nchw = () =>
      conv2DGradConfig.gradFunc(x, [x, filter], { strides: 1, pad: 'valid', dataFormat: 'NCHW', dilations: 1 });
    expect(nchw).toThrow('Conv2D dataFormat must be "NHWC" for the dpo-ts gradient override: got "NCHW"');
    tf.dispose([x, filter]);
  });
});

describe('Conv2D and Conv2DBackpropInput gradient overrides on wasm', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });

  it('are needed there: wasm has no Conv2DBackpropFilter kernel', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
  });

  it.each(CASES.map((c) => [label(c), c] as const))('match the cpu reference for %s', (_, c) => expectMatches(c));
});
