import { describe, expect, it } from 'vitest';
import { decodeGridImages, encodeGridImages, perImageRetrievalHits } from './evaluate-model.js';

describe('perImageRetrievalHits', () => {
  it('counts a hit when the own caption beats every distractor (all other captions with K = T)', () => {
    const texts = Float32Array.from([1, 0, 0, 1, -1, 0]); // captions 0, 1, 2
    // Image 0 (caption 0): dots 1, 0, -1 -> hit. Image 1 (caption 1): own 0 < caption 0's 1 -> miss.
    // Image 2 (caption 2): own 1 > 0.1 and -1 -> hit. Image 3 (caption 0 again): [0, 1] -> own 0 < 1 -> miss.
    const images = Float32Array.from([1, 0, 1, 0, -1, 0.1, 0, 1]);
    expect(perImageRetrievalHits(images, texts, 2, 3, 0)).toEqual([1, 0, 1, 0]);
  });

  it('counts ties with a distractor as misses', () => {
    const texts = Float32Array.from([1, 0, 1, 0]);
    expect(perImageRetrievalHits(Float32Array.from([1, 0]), texts, 2, 2, 0)).toEqual([0]);
  });
});

describe('encodeGridImages', () => {
  it('stores [-1, 1] values as bytes round((x + 1) * 127.5) and reads them back', () => {
    const decoded = decodeGridImages(encodeGridImages(Float32Array.from([-1, 0, 1, 2])));
    // Bytes 0, 128, 255, 255 (clipped): back to -1, 128 / 127.5 - 1, 1, 1.
    expect(Array.from(decoded)).toEqual([-1, expect.closeTo(1 / 255, 6), 1, 1]);
  });
});
