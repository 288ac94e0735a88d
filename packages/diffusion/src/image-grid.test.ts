import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { decodeImage, encodeImageGrid, readImage, toByte, writeImageGrid } from './image-grid.js';

const root = await mkdtemp(join(tmpdir(), 'dpo-ts-grid-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('image grids', () => {
  it('round-trips one image through PNG within 8-bit quantisation', async () => {
    const values = Float32Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i) * 0.99);
    const path = join(root, 'one.png');
    await writeImageGrid(path, { data: values, shape: [1, 6, 5, 1] }, { padding: 0 });
    await expectNoLeak(async () => {
      const image = await readImage(path);
      expect(image.shape).toEqual([6, 5, 1]);
      expectClose(image, values, { atol: 1 / 127.5, rtol: 0 });
      image.dispose();
    });
    expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('places image i at row floor(i / columns), column i % columns, with padding and scale', async () => {
    const images = tf.tidy(() => tf.reshape(tf.tensor1d([-1, -0.5, 0, 0.5, 1]), [5, 1, 1, 1])) as tf.Tensor4D;
    await expectNoLeak(() => {
      const grid = decodeImage(encodeImageGrid(images, { columns: 2, padding: 1, paddingValue: -1, scale: 2 }));
      expect(grid.shape).toEqual([3 * 3 + 1, 2 * 3 + 1, 1]); // 3 rows, 2 columns of 2x2 cells
      const g = grid.arraySync() as number[][][];
      const at = (row: number, column: number): number => g[1 + row * 3]![1 + column * 3]![0]!;
      expect([at(0, 0), at(0, 1), at(1, 0), at(1, 1), at(2, 0)].map((v) => Math.round((v + 1) * 127.5))).toEqual(
        [-1, -0.5, 0, 0.5, 1].map(toByte),
      );
      expect(g[2]![2]![0]).toBe(at(0, 0)); // scale 2: the cell's second pixel repeats the first
      expect(g[0]![0]![0]).toBe(-1); // padding
      expect(at(2, 1)).toBe(-1); // empty cell
      grid.dispose();
    });
    images.dispose();
  });

  it('writes RGB grids and reads 3 channels; rejects non-PNG bytes', async () => {
    const rgb = Float32Array.from([1, -1, -1, -1, 1, -1]); // a red and a green pixel
    const png = encodeImageGrid({ data: rgb, shape: [2, 1, 1, 3] }, { padding: 0, columns: 2 });
    const image = decodeImage(png, 3);
    expectClose(image, rgb);
    image.dispose();
    const bad = join(root, 'bad.png');
    await writeFile(bad, 'not a png');
    await expect(readImage(bad)).rejects.toThrow(DataFormatError);
    expect(toByte(Number.NaN)).toBe(0);
    expect(toByte(3)).toBe(255);
  });
});
