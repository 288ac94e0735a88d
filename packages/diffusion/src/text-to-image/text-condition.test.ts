import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { TINY_MAX_LENGTH, disposeTiny, tinyTextToImage } from '../dpo/tiny-text-to-image.test-helper.js';
import { encodeTextCondition } from './text-condition.js';

describe('encodeTextCondition', () => {
  it("returns the denoiser's rows of the encoded captions and keeps none of the encoder's outputs", async () => {
    const ids = Int32Array.from([1, 2, 0, 0, 3, 4, 5, 0]);
    for (const contextLength of [0, TINY_MAX_LENGTH]) {
      const model = tinyTextToImage(1, contextLength);
      const { encoder, denoiser } = model;
      const expected = tf.tidy(() => {
        const { tokens, pooled } = encoder.encode(ids, 2);
        return contextLength === 0 ? pooled : tf.concat([pooled, tf.reshape(tokens, [2, 8 * contextLength])], 1);
      });
      await expectNoLeak(() => {
        const rows = encodeTextCondition(encoder, denoiser, ids, 2);
        expect(rows.shape).toEqual([2, 8 * (1 + contextLength)]);
        expect(rows.arraySync()).toEqual(expected.arraySync());
        rows.dispose();
      });
      expected.dispose();
      disposeTiny(model);
    }
  });
});
