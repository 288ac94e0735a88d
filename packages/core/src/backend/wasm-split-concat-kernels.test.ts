import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';
import { restoreWasmKernels } from './wasm-kernel-overrides.js';
import { wasmCopyKernelActive } from './wasm-split-concat-kernels.js';

interface Case {
  readonly shape: number[];
  readonly split: number | number[];
  readonly axis: number;
}

// Long runs (ours) and short ones (the backend's own kernel), on first, middle and last axes.
const CASES: Case[] = [
  { shape: [64, 96], split: 3, axis: 1 },
  { shape: [64, 96], split: [16, 48, 32], axis: -1 },
  { shape: [4, 6, 40], split: [1, 2, 3], axis: 1 },
  { shape: [12, 20], split: 2, axis: 0 },
  { shape: [8, 6], split: 3, axis: 1 },
];
const label = (c: Case) => `[${c.shape}] into ${JSON.stringify(c.split)} along ${c.axis}`;
const values = (c: Case) =>
  Float32Array.from({ length: c.shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i) * 100);

const cpu = new Map<Case, { pieces: Float32Array[]; joined: Float32Array }>();

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', quiet: true });
  for (const c of CASES) {
    cpu.set(
      c,
      tf.tidy(() => {
        const pieces = tf.split(tf.tensor(values(c), c.shape), c.split, c.axis);
        return {
          pieces: pieces.map((p) => p.dataSync() as Float32Array),
          joined: tf.concat(pieces.reverse(), c.axis).dataSync() as Float32Array,
        };
      }),
    );
  }
  await selectBackend({ backend: 'wasm', quiet: true });
});

afterAll(async () => {
  restoreWasmKernels();
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('the SplitV and Concat kernel overrides on wasm', () => {
  it('are registered by selectBackend on wasm', () => {
    expect(wasmCopyKernelActive('SplitV')).toBe(true);
    expect(wasmCopyKernelActive('Concat')).toBe(true);
  });

  it.each(CASES.map((c) => [label(c), c] as const))(
    'split and concat (reversed) are bit-identical to the cpu backend for %s',
    (_, c) => {
      const { pieces, joined } = tf.tidy(() => {
        const parts = tf.split(tf.tensor(values(c), c.shape), c.split, c.axis);
        return {
          pieces: parts.map((p) => p.dataSync() as Float32Array),
          joined: tf.concat(parts.reverse(), c.axis).dataSync() as Float32Array,
        };
      });
      const expected = cpu.get(c)!;
      expect(pieces.map((p) => Array.from(p))).toEqual(expected.pieces.map((p) => Array.from(p)));
      expect(Array.from(joined)).toEqual(Array.from(expected.joined));
    },
  );

  it("gives split's gradient (a concat) and leaks nothing", async () => {
    const x = tf.tensor(values(CASES[0]!), CASES[0]!.shape);
    const gradient = await expectNoLeak(() =>
      tf.tidy(() => {
        const f = (t: tf.Tensor) => {
          const [a, b, c] = tf.split(t, 3, 1);
          return tf.sum(tf.add(tf.mul(a!, 1), tf.add(tf.mul(b!, 2), tf.mul(c!, 3))));
        };
        return Array.from(tf.grad(f)(x).dataSync());
      }),
    );
    // d/dx: 1 on the first 32 columns, 2 on the next 32, 3 on the last 32, for every row.
    expect(gradient).toEqual(Array.from({ length: 64 * 96 }, (_, i) => 1 + Math.floor((i % 96) / 32)));
    x.dispose();
  });
});
