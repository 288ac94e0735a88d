import { describe, expect, it } from 'vitest';
import { perImageRetrievalHits } from './retrieval-accuracy.js';

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

  it('reads each image caption from captionIndices when given', () => {
    const texts = Float32Array.from([1, 0, 0, 1, -1, 0]);
    // The same images as above, now showing captions 1, 0, 2, 1: image 0 (1, 0) has own 0 < 1 -> miss;
    // image 1 (1, 0) own 1 -> hit; image 2 (-1, 0.1) own 1 -> hit; image 3 (0, 1) own 1 -> hit.
    const images = Float32Array.from([1, 0, 1, 0, -1, 0.1, 0, 1]);
    expect(perImageRetrievalHits(images, texts, 2, 3, 0, [1, 0, 2, 1])).toEqual([0, 1, 1, 1]);
    expect(() => perImageRetrievalHits(images, texts, 2, 3, 0, [1])).toThrow(/captionIndices\.length/);
  });
});
