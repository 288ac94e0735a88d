import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { maskedMean, maskedVariance, maskedWhiten } from './whiten.js';

describe('masked mean, variance and whitening (TRL masked_whiten)', () => {
  it('whitens over the unmasked entries and zeroes the rest', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        // values [1, 2, 3, 100], mask [1, 1, 1, 0]: mean 2, unbiased variance ((1 + 0 + 1) / 3) * 3/2 = 1
        const values = tf.tensor2d([[1, 2, 3, 100]]);
        const mask = tf.tensor2d([[1, 1, 1, 0]]);
        expectClose(maskedMean(values, mask), 2);
        expectClose(maskedVariance(values, mask), 1);
        expectClose(maskedVariance(values, mask, false), 2 / 3);
        expectClose(maskedWhiten(values, mask), [[-1, 0, 1, 0]], { atol: 1e-6 });
        // shiftMean false keeps the mean: [-1, 0, 1] + 2
        expectClose(maskedWhiten(values, mask, { shiftMean: false }), [[1, 2, 3, 0]], { atol: 1e-6 });
        // biased variance 2/3: (v - 2) / sqrt(2/3) = ±1.2247448622
        expectClose(maskedWhiten(values, mask, { unbiased: false }), [[-1.2247448622, 0, 1.2247448622, 0]], {
          atol: 1e-5,
        });
      }),
    );
  });

  it('uses every entry without a mask, and ignores NaN under the mask', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        // [1, 2, 3, 4]: mean 2.5, unbiased variance 5/3, (v - 2.5) / sqrt(5/3)
        expectClose(
          maskedWhiten(tf.tensor1d([1, 2, 3, 4])),
          [-1.1618950004, -0.3872983335, 0.3872983335, 1.1618950004],
          { atol: 1e-5 },
        );
        expectClose(maskedMean(tf.tensor1d([1, NaN, 3]), tf.tensor1d([1, 0, 1])), 2);
        expectClose(maskedWhiten(tf.tensor1d([1, NaN, 3]), tf.tensor1d([1, 0, 1])), [-Math.SQRT1_2, 0, Math.SQRT1_2], {
          atol: 1e-5,
        });
        // One unmasked entry: no Bessel correction (variance 0), not a division by zero.
        expectClose(maskedVariance(tf.tensor1d([5, 7]), tf.tensor1d([1, 0])), 0);
        expect(() => maskedMean(tf.tensor1d([1, 2]), tf.tensor1d([1]))).toThrow(/mask/);
      }),
    );
  });
});
