import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';
import { restoreWasmKernels } from './wasm-kernel-overrides.js';
import { swapsLastTwoAxes, wasmTransposeKernelActive } from './wasm-transpose-kernel.js';

interface Case {
  readonly shape: number[];
  readonly perm: number[];
  readonly dtype: 'float32' | 'int32';
}

// Matrix transposes (ours, including one that grows the kernel's memory) and others (the backend's).
const CASES: Case[] = [
  { shape: [8, 12], perm: [1, 0], dtype: 'float32' },
  { shape: [3, 8, 4], perm: [0, 2, 1], dtype: 'float32' },
  { shape: [2, 2, 4, 8], perm: [0, 1, 3, 2], dtype: 'int32' },
  { shape: [512, 1024], perm: [1, 0], dtype: 'float32' },
  { shape: [5, 8], perm: [1, 0], dtype: 'float32' },
  { shape: [2, 3, 4], perm: [1, 0, 2], dtype: 'float32' },
];
const label = (c: Case) => `${c.dtype} [${c.shape}] by [${c.perm}]`;
const values = (c: Case) =>
  Array.from({ length: c.shape.reduce((x, y) => x * y, 1) }, (_, i) =>
    c.dtype === 'int32' ? i - 7 : Math.sin(i) * 1e3,
  );

const cpu = new Map<Case, number[]>();

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', quiet: true });
  for (const c of CASES)
    cpu.set(
      c,
      tf.tidy(() => Array.from(tf.transpose(tf.tensor(values(c), c.shape, c.dtype), c.perm).dataSync())),
    );
  await selectBackend({ backend: 'wasm', quiet: true });
});

afterAll(async () => {
  restoreWasmKernels();
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('the Transpose kernel override on wasm', () => {
  it('takes only permutations that swap the last two axes', () => {
    expect(swapsLastTwoAxes([1, 0])).toBe(true);
    expect(swapsLastTwoAxes([0, 1, 3, 2])).toBe(true);
    expect(swapsLastTwoAxes([0, 1])).toBe(false);
    expect(swapsLastTwoAxes([1, 0, 2])).toBe(false);
    expect(swapsLastTwoAxes([1, 0, 3, 2])).toBe(false);
    expect(swapsLastTwoAxes([0])).toBe(false);
  });

  it('is registered by selectBackend on wasm', () => {
    expect(wasmTransposeKernelActive()).toBe(true);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('is bit-identical to the cpu backend for %s', (_, c) => {
    const result = tf.tidy(() => {
      const t = tf.transpose(tf.tensor(values(c), c.shape, c.dtype), c.perm);
      return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
    });
    expect(result.shape).toEqual(c.perm.map((axis) => c.shape[axis]));
    expect(result.dtype).toBe(c.dtype);
    expect(result.values).toEqual(cpu.get(c));
  });
});
