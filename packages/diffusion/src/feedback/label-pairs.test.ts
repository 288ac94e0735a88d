import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@dpo-ts/core';
import { loadCaptionPreferenceImages, writeCaptionPreferenceJsonl } from '../pairs/caption-preference-jsonl.js';
import { DEFAULT_TIE_MARGIN, labelPairs, type UnlabelledPair } from './label-pairs.js';
import type { ImageLabeler } from './labelers.js';

/** Scores each 2x2 greyscale image by the mean of its pixels times 4 (host maths, no model). */
const brightness: ImageLabeler = {
  name: 'brightness',
  score: async (images) => {
    const values = await images.data();
    return Float32Array.from({ length: images.shape[0] }, (_, i) => 4 * ((values[4 * i]! + values[4 * i + 3]!) / 2));
  },
};
const flat = (v: number): Float32Array => new Float32Array(4).fill(v);

describe('labelPairs', () => {
  const pairs: UnlabelledPair[] = [
    { caption: 'a', image0: flat(0.5), image1: flat(-0.5) }, // s0 - s1 = 4: image 0
    { caption: 'b', image0: flat(-0.2), image1: flat(0.2) }, // -1.6: image 1
    { caption: 'c', image0: flat(0.02), image1: flat(0) }, // 0.08: P = 0.52, a tie
    { caption: 'd', image0: flat(0.05), image1: flat(0) }, // 0.2: P = 0.5498, a tie (just under 0.55)
    { caption: 'e', image0: flat(0.06), image1: flat(0), extra: { seed: 3 } }, // 0.24: P = 0.5597
  ];

  it('labels by P(image 0) = sigmoid(s0 - s1) with ties within 0.05 of 1/2, then round-trips as Pick-a-Pic JSONL with ties dropped', async () => {
    const before = tf.memory().numTensors;
    const records = await labelPairs(brightness, pairs, [2, 2, 1], { batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(DEFAULT_TIE_MARGIN).toBe(0.05);
    expect(records.map((r) => r.label0)).toEqual([1, 0, 0.5, 0.5, 1]);
    expect(records[4]!.extra).toMatchObject({ seed: 3, labeler: 'brightness' });
    expect(records[0]!.extra!.p_0).toBeCloseTo(1 / (1 + Math.exp(-4)), 6);
    const dir = await mkdtemp(path.join(tmpdir(), 'labels-'));
    try {
      const file = path.join(dir, 'pairs.jsonl');
      expect(await writeCaptionPreferenceJsonl(file, records, [2, 2, 1])).toBe(5);
      const read = await loadCaptionPreferenceImages(file, [2, 2, 1]);
      expect(read.tiesDropped).toBe(2);
      expect(read.captions).toEqual(['a', 'b', 'e']);
      // The winner is the brighter image on each kept line (PNG quantisation: 1/127.5).
      expect(read.chosen[0]).toBeCloseTo(0.5, 1);
      expect(read.chosen[4]).toBeCloseTo(0.2, 1);
      expect(read.rejected[4]).toBeCloseTo(-0.2, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a zero margin keeps only exact ties; a bad image or margin is refused by name', async () => {
    const records = await labelPairs(brightness, pairs, [2, 2, 1], { tieMargin: 0 });
    expect(records.map((r) => r.label0)).toEqual([1, 0, 1, 1, 1]);
    await expect(
      labelPairs(brightness, [{ caption: 'x', image0: flat(0), image1: new Float32Array(3) }], [2, 2, 1]),
    ).rejects.toThrow(/pairs\[0\].image1/);
    await expect(labelPairs(brightness, pairs, [2, 2, 1], { tieMargin: 0.7 })).rejects.toThrow(InvalidArgumentError);
  });
});
