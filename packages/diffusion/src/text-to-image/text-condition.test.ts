import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { CaptionEncoder } from './caption-encoder.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { encodeTextCondition } from './text-condition.js';

describe('encodeTextCondition', () => {
  it("returns the denoiser's rows of the encoded captions and keeps none of the encoder's outputs", async () => {
    const encoder = new CaptionEncoder({ vocabSize: 6, maxLength: 4, dim: 8, layers: 1, heads: 2, seed: 1 });
    const ids = Int32Array.from([1, 2, 0, 0, 3, 4, 5, 0]);
    for (const contextLength of [0, 4]) {
      const denoiser = new LatentTextDenoiser({
        latentShape: [2, 2, 2],
        textDim: 8,
        channels: 8,
        blocks: 1,
        groups: 4,
        contextLength,
      });
      const expected = tf.tidy(() => {
        const { tokens, pooled } = encoder.encode(ids, 2);
        return contextLength === 0 ? pooled : tf.concat([pooled, tf.reshape(tokens, [2, 32])], 1);
      });
      await expectNoLeak(() => {
        const rows = encodeTextCondition(encoder, denoiser, ids, 2);
        expect(rows.shape).toEqual([2, 8 * (1 + contextLength)]);
        expect(rows.arraySync()).toEqual(expected.arraySync());
        rows.dispose();
      });
      expected.dispose();
      denoiser.dispose();
    }
    encoder.dispose();
  });
});
