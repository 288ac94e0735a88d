import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { Rng } from '@dpo-ts/core/training';
import { jpegEncodedLength } from './jpeg-encoder.js';

describe('jpegEncodedLength', () => {
  it("gives exactly jpeg.encode's byte length, for reused encoders and several qualities", () => {
    const rng = new Rng(1);
    for (const [width, height] of [
      [28, 28],
      [9, 17],
      [64, 8],
    ] as const) {
      for (const quality of [95, 50, 95]) {
        const data = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : rng.int(256)));
        const smooth = Uint8Array.from(data, (_v, i) => (i % 4 === 3 ? 255 : (i >> 6) % 256));
        for (const pixels of [data, smooth]) {
          expect(jpegEncodedLength({ data: pixels, width, height }, quality)).toBe(
            jpeg.encode({ data: pixels, width, height }, quality).data.length,
          );
        }
      }
    }
  });
});
