import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';
import { wasmIdentityKernelActive } from './wasm-identity-kernel.js';
import { restoreWasmKernels } from './wasm-kernel-overrides.js';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm', quiet: true });
});

afterAll(async () => {
  restoreWasmKernels();
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('the Identity kernel override on wasm', () => {
  it('is registered by selectBackend on wasm', () => {
    expect(wasmIdentityKernelActive()).toBe(true);
  });

  it('shares data: a clone outlives its source, and the buffer is freed with the last of them', () => {
    const buffersBefore = tf.memory().numDataBuffers;
    const source = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const copy = tf.clone(source);
    expect(tf.memory().numDataBuffers).toBe(buffersBefore + 1); // one buffer, two tensors
    source.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(copy.shape).toEqual([2, 3]);
    copy.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffersBefore);
  });

  it('gives the gradients of ops that save their inputs (cloned through Identity)', () => {
    const [dx] = tf.tidy(() =>
      tf
        .grads((x: tf.Tensor) => tf.sum(tf.mul(x, x)))([tf.tensor1d([1, -2, 3])])
        .map((g) => Array.from(g.dataSync())),
    );
    expect(dx).toEqual([2, -4, 6]);
  });
});
