import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataFormatError, requireInteger } from '@dpo-ts/core';
import type { DatasetSplits, ImageDataset } from './image-dataset.js';

/** Where Debian's `dataset-fashion-mnist` package installs the IDX files (gzipped). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's classes (Xiao et al. 2017), index = label. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Directory holding the four IDX files, gzipped or not. @defaultValue {@link FASHION_MNIST_DIR} */
  readonly directory?: string;
  /** Keep only the first `limit` images of each split (file order). @defaultValue all (60,000 / 10,000) */
  readonly limit?: number;
}

/** True when the four Fashion-MNIST files are present in `directory` (nothing is ever downloaded). */
export async function fashionMnistAvailable(directory: string = FASHION_MNIST_DIR): Promise<boolean> {
  const found = await Promise.all(Object.values(FILES).map((name) => findFile(directory, name)));
  return found.every((path) => path !== undefined);
}

/**
 * Fashion-MNIST (Xiao et al. 2017, MIT) from local IDX files, e.g. Debian's
 * `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist/*.gz`). `train` is the official
 * 60,000-image training set, `heldOut` the official 10,000-image test set, both in file order.
 * Images are NHWC `[count, 28, 28, 1]` float32 in [-1, 1] (byte / 127.5 - 1).
 * @throws DataFormatError when a file is missing or malformed.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<DatasetSplits> {
  const directory = options.directory ?? FASHION_MNIST_DIR;
  const limit = options.limit === undefined ? Infinity : requireInteger('limit', options.limit, { min: 1 });
  const split = async (imagesName: string, labelsName: string): Promise<ImageDataset> => {
    const images = await readIdx(directory, imagesName, 3);
    const labels = await readIdx(directory, labelsName, 1);
    const [count, height, width] = images.dims as [number, number, number];
    if (labels.dims[0] !== count)
      throw new DataFormatError(join(directory, labelsName), 0, `has ${labels.dims[0]} labels for ${count} images`);
    const kept = Math.min(count, limit);
    const pixels = new Float32Array(kept * height * width);
    for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i]! / 127.5 - 1;
    const labelValues = Int32Array.from(labels.data.subarray(0, kept));
    if (labelValues.some((l) => l > 9))
      throw new DataFormatError(join(directory, labelsName), 0, 'labels must be in 0..9');
    return {
      images: pixels,
      labels: labelValues,
      count: kept,
      imageShape: [height, width, 1],
      numClasses: 10,
      classNames: FASHION_MNIST_CLASS_NAMES,
    };
  };
  return {
    train: await split(FILES.trainImages, FILES.trainLabels),
    heldOut: await split(FILES.testImages, FILES.testLabels),
  };
}

/** A parsed IDX file (LeCun's MNIST format): big-endian dimensions, then unsigned bytes. */
export interface IdxArray {
  /** Size of each dimension, outermost first (`[60000, 28, 28]` for training images). */
  readonly dims: readonly number[];
  /** The values, row-major, product(dims) bytes. */
  readonly data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes: magic 0x00 0x00 0x08 rank, `rank` big-endian uint32
 * dimensions, then the data. `file` only names the source in errors.
 */
export function parseIdx(bytes: Uint8Array, file = '<idx>'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new DataFormatError(file, 0, 'not an IDX file (bad magic number)');
  if (bytes[2] !== 0x08)
    throw new DataFormatError(file, 0, `element type 0x${bytes[2]!.toString(16)} is not unsigned byte (0x08)`);
  const rank = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw new DataFormatError(file, 0, 'truncated header');
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (bytes.length - start !== size)
    throw new DataFormatError(
      file,
      0,
      `expected ${size} data bytes for dims [${dims.join(', ')}], found ${bytes.length - start}`,
    );
  return { dims, data: bytes.subarray(start) };
}

async function readIdx(directory: string, name: string, rank: number): Promise<IdxArray> {
  const path = await findFile(directory, name);
  if (path === undefined) throw new DataFormatError(join(directory, name), 0, 'file not found (also tried .gz)');
  const raw = await readFile(path);
  const bytes = path.endsWith('.gz') ? gunzipSync(raw) : raw;
  const parsed = parseIdx(bytes, path);
  if (parsed.dims.length !== rank)
    throw new DataFormatError(path, 0, `rank must be ${rank}: got ${parsed.dims.length}`);
  return parsed;
}

async function findFile(directory: string, name: string): Promise<string | undefined> {
  for (const candidate of [join(directory, `${name}.gz`), join(directory, name)]) {
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}
