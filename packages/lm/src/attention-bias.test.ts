import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { ATTENTION_MASK_VALUE as M, attentionBias } from './attention-bias.js';

describe('attentionBias', () => {
  it('masks future keys, offset by the cached positions', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        expectClose(attentionBias(3, 0), [
          [0, M, M],
          [0, 0, M],
          [0, 0, 0],
        ]);
        // Two cached positions, two new queries at absolute positions 2 and 3.
        expectClose(attentionBias(2, 2), [
          [0, 0, 0, M],
          [0, 0, 0, 0],
        ]);
      }),
    );
  });

  it('also masks padding keys per row', () => {
    tf.tidy(() => {
      const bias = attentionBias(
        2,
        0,
        tf.tensor2d([
          [0, 1],
          [1, 1],
        ]),
      );
      expect(bias.shape).toEqual([2, 1, 2, 2]);
      expectClose(
        bias,
        [
          [
            [
              [M, M],
              [M, 0],
            ],
          ],
          [
            [
              [0, M],
              [0, 0],
            ],
          ],
        ].flat(3),
        { rtol: 1e-6 },
      );
      expect(() => attentionBias(2, 1, tf.tensor2d([[1, 1]]))).toThrow(ShapeMismatchError);
    });
  });
});
