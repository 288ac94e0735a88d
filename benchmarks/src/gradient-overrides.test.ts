import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dpo-ts/core/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseFailedTape } from './gradient-overrides.js';

describe('releaseFailedTape', () => {
  beforeAll(() => selectBackend({ backend: 'cpu', quiet: true }));

  it('frees the tensors a failed backprop leaves on the tape, and only those', () => {
    const x = tf.tensor1d([1, 2, 3]);
    // y = x^2 saves x and 2 (two clones) for a gradient that then throws.
    const square = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
      const value = tf.square(input);
      save([input, tf.scalar(2)]);
      return {
        value,
        gradFunc: () => {
          throw new Error('no kernel');
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.grads((input: tf.Tensor) => square(input) as tf.Tensor)([x]))).toThrow('no kernel');
    const left = tf.memory().numTensors - before;
    expect(left).toBeGreaterThan(0); // tfjs's behaviour the helper exists for
    expect(releaseFailedTape()).toBe(left);
    expect(tf.memory().numTensors).toBe(before);
    expect(releaseFailedTape()).toBe(0);
    // Gradients still work afterwards.
    const [grad] = tf.tidy(() => tf.grads((input: tf.Tensor) => tf.sum(tf.square(input)))([x]));
    expect(Array.from(grad!.dataSync())).toEqual([2, 4, 6]);
    tf.dispose([grad!, x]);
    expect(tf.memory().numTensors).toBe(before - 1);
  });
});
