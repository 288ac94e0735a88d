import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { highFrequencyShare } from './high-frequency-share.js';

describe('highFrequencyShare', () => {
  it('is 0 for maps constant on 2x2 blocks and 1 for a one-pixel checkerboard', () => {
    const blocks = tf.tensor4d([1, 1, 5, 5, 1, 1, 5, 5, -2, -2, 0, 0, -2, -2, 0, 0], [1, 4, 4, 1]);
    const checker = tf.tensor4d([1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1, -1, -1, 1, -1, 1], [1, 4, 4, 1]);
    expect(highFrequencyShare(blocks)).toBeCloseTo(0, 6);
    expect(highFrequencyShare(checker)).toBeCloseTo(1, 6);
    tf.dispose([blocks, checker]);
  });

  it('matches a hand-computed case without leaking tensors', async () => {
    // Blocks (1, 2, 5, 6) and (3, 4, 7, 8): detail 17 + 17 = 34; about the mean 4.5: 42.
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4, 1]);
    await expectNoLeak(() => {
      expect(highFrequencyShare(x)).toBeCloseTo(34 / 42, 6);
    });
    x.dispose();
  });

  it('centres each image and channel on its own mean', () => {
    // The same map twice, the second channel shifted by 100: the share does not change.
    const values = [1, 2, 3, 4, 5, 6, 7, 8];
    const x = tf.tensor4d(
      values.flatMap((v) => [v, v + 100]),
      [1, 2, 4, 2],
    );
    expect(highFrequencyShare(x)).toBeCloseTo(34 / 42, 6);
    x.dispose();
  });

  it('names x when a side is odd or the maps are constant', () => {
    const odd = tf.zeros([1, 3, 4, 1]) as tf.Tensor4D;
    const flat = tf.ones([2, 2, 2, 1]) as tf.Tensor4D;
    expect(() => highFrequencyShare(odd)).toThrow(/x must be \[b, h, w, c\] with even h and w: got/);
    expect(() => highFrequencyShare(flat)).toThrow(/x must be feature maps that vary over space/);
    tf.dispose([odd, flat]);
  });
});
