import { describe, expect, it } from 'vitest';
import { decodeGridImages, encodeGridImages } from './evaluate-model.js';

describe('encodeGridImages', () => {
  it('stores [-1, 1] values as bytes round((x + 1) * 127.5) and reads them back', () => {
    const decoded = decodeGridImages(encodeGridImages(Float32Array.from([-1, 0, 1, 2])));
    // Bytes 0, 128, 255, 255 (clipped): back to -1, 128 / 127.5 - 1, 1, 1.
    expect(Array.from(decoded)).toEqual([-1, expect.closeTo(1 / 255, 6), 1, 1]);
  });
});
