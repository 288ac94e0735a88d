import { describe, expect, it } from 'vitest';
import { timestepBuckets } from './timestep-buckets.js';

describe('timestepBuckets', () => {
  it('splits [0, T) into equal ranges with zero-padded labels', () => {
    const buckets = timestepBuckets(1000, 5);
    expect(buckets.labels).toEqual(['t000-199', 't200-399', 't400-599', 't600-799', 't800-999']);
    expect(buckets.bucketOf([0, 199, 200, 999, 500])).toEqual([0, 0, 1, 4, 2]);
  });

  it('labels uneven ranges consistently with bucketOf', () => {
    const buckets = timestepBuckets(10, 3); // floor(3t/10): 0-3 -> 0, 4-6 -> 1, 7-9 -> 2
    expect(buckets.labels).toEqual(['t0-3', 't4-6', 't7-9']);
    expect(buckets.bucketOf([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });

  it('rejects bad arguments naming them', () => {
    expect(() => timestepBuckets(10, 11)).toThrow('numBuckets');
    expect(() => timestepBuckets(10, 2).bucketOf([10])).toThrow('timesteps[0] must be an integer in [0, 10): got 10');
  });
});
