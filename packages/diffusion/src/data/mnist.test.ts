import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { loadMnist } from './mnist.js';
import { datasetBatch, datasetImage, subsetDataset } from './image-dataset.js';

describe('loadMnist', () => {
  it('loads the 10,000 packaged digits as [-1, 1] NHWC images with a deterministic held-out split', async () => {
    const { train, heldOut } = await loadMnist();
    expect(train.count + heldOut.count).toBe(10000);
    expect(train.count).toBe(8000);
    expect(train.images).toHaveLength(train.count * 784);
    expect(train.imageShape).toEqual([28, 28, 1]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(-1);
    expect(max).toBe(1);
    const perClass = new Array<number>(10).fill(0);
    for (const label of heldOut.labels) perClass[label]!++;
    expect(Math.min(...perClass)).toBeGreaterThan(150); // every digit is held out (~20% of 863..1127)
    // Same split for another seed, only the order changes.
    const reordered = await loadMnist({ seed: 1 });
    const key = (images: Float32Array, i: number): number => {
      let hash = 0; // a weighted pixel sum identifies an image well enough here
      for (let p = 0; p < 784; p++) hash = (hash * 31 + Math.round((images[i * 784 + p]! + 1) * 500)) % 2147483647;
      return hash;
    };
    const heldOutSet = new Set(Array.from({ length: heldOut.count }, (_, i) => key(heldOut.images, i)));
    expect(Array.from({ length: 50 }, (_, i) => heldOutSet.has(key(reordered.heldOut.images, i))).every(Boolean)).toBe(
      true,
    );
    expect(Array.from(reordered.train.labels.subarray(0, 20))).not.toEqual(Array.from(train.labels.subarray(0, 20)));
    expect(Array.from((await loadMnist()).train.labels.subarray(0, 50))).toEqual(
      Array.from(train.labels.subarray(0, 50)),
    );
    // No training image is held out (checked on a sample; duplicates inside MNIST are rare).
    const overlap = Array.from({ length: 500 }, (_, i) => heldOutSet.has(key(train.images, i))).filter(Boolean).length;
    expect(overlap).toBe(0);
  });

  it('makes tensor batches and subsets', async () => {
    const { heldOut } = await loadMnist();
    await expectNoLeak(() => {
      const batch = datasetBatch(heldOut, [0, 5, 7]);
      expect(batch.images.shape).toEqual([3, 28, 28, 1]);
      expect(Array.from(batch.labels)).toEqual([heldOut.labels[0], heldOut.labels[5], heldOut.labels[7]]);
      expect(Array.from(batch.images.dataSync().subarray(784, 1568))).toEqual(Array.from(datasetImage(heldOut, 5)));
      batch.images.dispose();
    });
    expect(subsetDataset(heldOut, [1, 2]).count).toBe(2);
    expect(() => subsetDataset(heldOut, [heldOut.count])).toThrow(
      `indices[0] must be an integer in [0, ${heldOut.count})`,
    );
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
