import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { computeNamedGradients } from './named-gradients.js';

describe('computeNamedGradients', () => {
  it('keys gradients by stable names and omits frozen and unused variables', async () => {
    const w = tf.variable(tf.tensor([1, 2]), true);
    const unused = tf.variable(tf.tensor([5]), true);
    const frozen = tf.variable(tf.tensor([3]), false);
    const variables = new Map([
      ['layer.w', w],
      ['layer.unused', unused],
      ['layer.frozen', frozen],
    ]);
    await expectNoLeak(() => {
      // f = sum(w^2) * frozen: df/dw = 2 w * 3.
      const { value, grads } = computeNamedGradients(
        () => tf.mul(tf.sum(tf.square(w)), tf.sum(frozen)) as tf.Scalar,
        variables,
      );
      expectClose(value, 15);
      expect([...grads.keys()]).toEqual(['layer.w']);
      expectClose(grads.get('layer.w')!, [6, 12]);
      tf.dispose([value, ...grads.values()]);
    });
    expect(() => computeNamedGradients(() => tf.scalar(0), new Map([['f', frozen]]))).toThrow(
      'at least one trainable variable',
    );
    tf.dispose([w, unused, frozen]);
  });
});
