import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataFormatError } from '@dpo-ts/core';
import { FASHION_MNIST_DIR, fashionMnistAvailable, loadFashionMnist, parseIdx } from './fashion-mnist.js';

function idx(dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, Buffer.from(data)]);
}

const root = await mkdtemp(join(tmpdir(), 'dpo-ts-fashion-'));
const installed = await fashionMnistAvailable();
afterAll(() => rm(root, { recursive: true, force: true }));

describe('Fashion-MNIST IDX reader', () => {
  it('parses IDX headers and rejects malformed files', () => {
    const parsed = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(parsed.dims).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(idx([2, 3], [1, 2]), 'x.idx')).toThrow(
      'x.idx: expected 6 data bytes for dims [2, 3], found 2',
    );
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4]))).toThrow(DataFormatError);
  });

  it('loads gzipped or plain files from a directory into [-1, 1] images', async () => {
    const pixels = (n: number): number[] => Array.from({ length: n * 4 }, (_, i) => (i * 37) % 256);
    await writeFile(join(root, 'train-images-idx3-ubyte.gz'), gzipSync(idx([3, 2, 2], pixels(3))));
    await writeFile(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([3], [9, 0, 4])));
    await writeFile(join(root, 't10k-images-idx3-ubyte'), idx([1, 2, 2], [0, 255, 0, 255]));
    expect(await fashionMnistAvailable(root)).toBe(false);
    await writeFile(join(root, 't10k-labels-idx1-ubyte'), idx([1], [7]));
    expect(await fashionMnistAvailable(root)).toBe(true);
    const { train, heldOut } = await loadFashionMnist({ directory: root, limit: 2 });
    expect(train.count).toBe(2);
    expect(Array.from(train.labels)).toEqual([9, 0]);
    expect(train.imageShape).toEqual([2, 2, 1]);
    expect(train.images[1]).toBeCloseTo(37 / 127.5 - 1, 6);
    expect(Array.from(heldOut.images)).toEqual([-1, 1, -1, 1]);
    expect(heldOut.classNames[heldOut.labels[0]!]).toBe('Sneaker');
  });

  it.skipIf(!installed)(`reads the Debian package's files in ${FASHION_MNIST_DIR}`, async () => {
    const { train, heldOut } = await loadFashionMnist({ limit: 100 });
    expect(train.count).toBe(100);
    expect(heldOut.imageShape).toEqual([28, 28, 1]);
  });
});
