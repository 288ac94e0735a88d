import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { jpegCompressibilityReward, jpegIncompressibilityReward, jpegSizeKilobytes } from './jpeg-reward.js';
import { rewardImages } from './image-reward.js';

function noise(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: 784 }, () => 2 * rng.uniform() - 1);
}

describe('JPEG rewards (DDPO)', () => {
  it('rate a flat image more compressible than noise, deterministically', () => {
    const flat = new Float32Array(784).fill(-1);
    const noisy = noise(1);
    expect(jpegCompressibilityReward(flat, 0)).toBeGreaterThan(jpegCompressibilityReward(noisy, 0));
    expect(jpegIncompressibilityReward(noisy, 0)).toBeGreaterThan(jpegIncompressibilityReward(flat, 0));
    expect(jpegCompressibilityReward(noisy, 3)).toBe(jpegCompressibilityReward(noisy, 3));
    expect(jpegIncompressibilityReward(noisy, 0)).toBe(-jpegCompressibilityReward(noisy, 0));
    // kB = bytes / 1000: a 28x28 JPEG is a few hundred bytes plus ~600 bytes of headers and tables.
    expect(jpegSizeKilobytes(flat)).toBeGreaterThan(0.3);
    expect(jpegSizeKilobytes(noisy)).toBeLessThan(5);
  });

  it('accept tensors and score batches, without leaking', async () => {
    const noisy = noise(2);
    await expectNoLeak(() => {
      tf.tidy(() => {
        const asTensor = tf.tensor2d(noisy, [28, 28]);
        expect(jpegCompressibilityReward(asTensor, 0)).toBe(jpegCompressibilityReward(noisy, 0));
        const batch = tf.concat([tf.reshape(asTensor, [1, 28, 28, 1]), tf.fill([1, 28, 28, 1], 0.5)]) as tf.Tensor4D;
        const rewards = rewardImages(jpegCompressibilityReward, batch, [0, 1]);
        expect(rewards[0]).toBeCloseTo(jpegCompressibilityReward(noisy, 0), 6);
        expect(rewards[1]).toBeGreaterThan(rewards[0]!);
      });
    });
    expect(() => jpegSizeKilobytes(new Float32Array(10))).toThrow('image must be a square greyscale image');
  });
});
