import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { copyToHost } from './copy-to-host.js';

const values = [1 / 3, -2.5, 1e7, 0.1, 5e-8, -0];

async function copied(): Promise<Float32Array> {
  const target = new Float32Array(new SharedArrayBuffer(4 * 10)).fill(7);
  const tensor = tf.tensor2d(values, [2, 3]);
  const variable = tf.variable(tf.tensor1d([4, 5]));
  await expectNoLeak(async () => {
    await copyToHost(tensor, target, 1);
    await copyToHost(variable, target, 7);
  });
  tf.dispose([tensor, variable]);
  return target;
}

describe('copyToHost', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(['cpu', 'wasm'] as const)(
    'copies a tensor and a variable into a shared buffer at an offset (%s)',
    async (backend) => {
      if (backend === 'wasm') await selectBackend({ backend: 'wasm', quiet: true });
      expect(tf.getBackend()).toBe(backend);
      // Float32 rounding of the inputs, the untouched 7s around them, and -0 kept as -0.
      expect(Array.from(await copied())).toEqual([7, ...values.map(Math.fround), 4, 5, 7]);
    },
  );
});
