import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { clipGradNorm, globalGradNorm } from './clip-grad-norm.js';

describe('clipGradNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) when the global norm is larger, and returns the pre-clip norm', async () => {
    await expectNoLeak(() => {
      // ||(3, 4)||^2 + ||(12)||^2 = 25 + 144 = 169: global norm 13.
      const grads = new Map([
        ['a', tf.tensor([3, 4])],
        ['b', tf.tensor([[12]])],
      ]);
      const { grads: clipped, norm } = clipGradNorm(grads, 1);
      expectClose(norm, 13, { atol: 1e-6 });
      const scale = 1 / (13 + 1e-6);
      expectClose(clipped.get('a')!, [3 * scale, 4 * scale], { atol: 1e-7 });
      expectClose(clipped.get('b')!, [12 * scale], { atol: 1e-7 });
      expect(clipped.get('b')!.shape).toEqual([1, 1]);
      const after = globalGradNorm(clipped);
      expectClose(after, 1, { atol: 1e-6 });
      tf.dispose([...grads.values(), ...clipped.values(), norm, after]);
    });
  });

  it('leaves small gradients unchanged (scale clamped to 1) and returns new tensors', async () => {
    await expectNoLeak(() => {
      const g = tf.tensor([0.3, -0.4]); // norm 0.5
      const { grads, norm } = clipGradNorm(new Map([['g', g]]), 1);
      expect(grads.get('g')).not.toBe(g);
      expectClose(grads.get('g')!, g, { atol: 0, rtol: 0 });
      expectClose(norm, 0.5, { atol: 1e-7 });
      tf.dispose([g, ...grads.values(), norm]);
    });
  });

  it('Infinity computes the norm without clipping; non-finite gradients give a non-finite norm', async () => {
    await expectNoLeak(() => {
      const big = tf.tensor([300, 400]);
      const unclipped = clipGradNorm(new Map([['g', big]]), Infinity);
      expectClose(unclipped.norm, 500, { atol: 1e-4 });
      expectClose(unclipped.grads.get('g')!, [300, 400], { atol: 0, rtol: 0 });
      const nan = tf.tensor([NaN, 1]);
      const bad = clipGradNorm(new Map([['g', nan]]), 1);
      expect(Number.isNaN(bad.norm.dataSync()[0])).toBe(true);
      tf.dispose([big, nan, unclipped.norm, bad.norm, ...unclipped.grads.values(), ...bad.grads.values()]);
    });
    expect(() => clipGradNorm(new Map(), 0)).toThrow('maxNorm must be a number > 0 (Infinity for no clipping): got 0');
  });

  it('has a norm of 0 for no gradients', async () => {
    await expectNoLeak(() => {
      const { grads, norm } = clipGradNorm(new Map(), 1);
      expect(grads.size).toBe(0);
      expectClose(norm, 0);
      norm.dispose();
    });
  });
});
