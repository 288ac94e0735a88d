import * as tf from '@tensorflow/tfjs-core';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { DataFormatError, InvalidArgumentError, requireInteger, requireNumber } from '@dpo-ts/core';

// pngjs is CommonJS without bundled types; these are the two calls we use.
interface PngImage {
  width: number;
  height: number;
  data: Uint8Array;
}
interface PngSync {
  read(buffer: Uint8Array): PngImage;
  write(png: PngImage, options: { colorType: number; inputColorType: number; inputHasAlpha: boolean }): Buffer;
}
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: PngSync } };

/** Images on the host: NHWC values `[count, height, width, channels]` flattened, in [-1, 1]. */
export interface HostImages {
  /** Every image's values, row-major NHWC, in [-1, 1]. */
  readonly data: Float32Array;
  /** `[count, height, width, channels]`; `data` holds their product of values. */
  readonly shape: readonly [count: number, height: number, width: number, channels: number];
}

/** Layout of {@link encodeImageGrid}. */
export interface ImageGridOptions {
  /** Images per row. @defaultValue ceil(sqrt(count)) */
  readonly columns?: number;
  /** Pixels between images and around the grid. @defaultValue 2 */
  readonly padding?: number;
  /** Value of the padding, in [-1, 1]. @defaultValue 1 (white) */
  readonly paddingValue?: number;
  /** Integer magnification (nearest neighbour) for viewing small images. @defaultValue 1 */
  readonly scale?: number;
}

/** [-1, 1] -> byte: round((v + 1) * 127.5), clamped to [0, 255] (NaN -> 0). */
export function toByte(value: number): number {
  const byte = Math.round((value + 1) * 127.5);
  // biome-ignore lint/complexity/useMathMinMax: NaN maps to 0 here, where Math.min/max would return NaN.
  return byte > 255 ? 255 : byte >= 0 ? byte : 0;
}

/**
 * Lays images out in a grid (row-major: image i at row floor(i / columns), column i % columns)
 * and encodes it as an 8-bit PNG: greyscale for 1 channel, RGB for 3.
 *
 * @param images - `[count, h, w, c]` in [-1, 1], a tensor (read synchronously, not disposed) or host values.
 * @returns the PNG file's bytes (a Node `Buffer`, typed as `Uint8Array` so the public types need no `@types/node`).
 */
export function encodeImageGrid(images: tf.Tensor4D | HostImages, options: ImageGridOptions = {}): Uint8Array {
  const { data, shape } =
    images instanceof tf.Tensor ? { data: images.dataSync() as Float32Array, shape: images.shape } : images;
  const [count, height, width, channels] = shape;
  if (channels !== 1 && channels !== 3)
    throw new InvalidArgumentError('images', 'images with 1 or 3 channels', `${channels} channels`);
  requireInteger('images.count', count, { min: 1 });
  const columns = requireInteger('columns', options.columns ?? Math.ceil(Math.sqrt(count)), { min: 1 });
  const padding = requireInteger('padding', options.padding ?? 2, { min: 0 });
  const scale = requireInteger('scale', options.scale ?? 1, { min: 1, max: 64 });
  const background = toByte(requireNumber('paddingValue', options.paddingValue ?? 1, { min: -1, max: 1 }));
  const rows = Math.ceil(count / columns);
  const cellWidth = width * scale;
  const cellHeight = height * scale;
  const gridWidth = columns * (cellWidth + padding) + padding;
  const gridHeight = rows * (cellHeight + padding) + padding;
  const pixels = new Uint8Array(gridWidth * gridHeight * channels).fill(background);
  for (let i = 0; i < count; i++) {
    const left = padding + (i % columns) * (cellWidth + padding);
    const top = padding + Math.floor(i / columns) * (cellHeight + padding);
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        const source = ((i * height + Math.floor(y / scale)) * width + Math.floor(x / scale)) * channels;
        const target = ((top + y) * gridWidth + left + x) * channels;
        for (let c = 0; c < channels; c++) pixels[target + c] = toByte(data[source + c]!);
      }
    }
  }
  const colorType = channels === 1 ? 0 : 2;
  return PNG.sync.write(
    { width: gridWidth, height: gridHeight, data: pixels },
    { colorType, inputColorType: colorType, inputHasAlpha: false },
  );
}

/**
 * Writes {@link encodeImageGrid}'s PNG to `path` atomically (temporary file, then rename).
 * Tensors are read asynchronously.
 */
export async function writeImageGrid(
  path: string,
  images: tf.Tensor4D | HostImages,
  options: ImageGridOptions = {},
): Promise<void> {
  const host: HostImages =
    images instanceof tf.Tensor ? { data: (await images.data()) as Float32Array, shape: images.shape } : images;
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, encodeImageGrid(host, options));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Decodes a PNG (any colour type or bit depth pngjs reads) into `[height, width, channels]`
 * float32 in [-1, 1] (byte / 127.5 - 1). One channel is the red channel, which is the grey
 * value of greyscale images (what {@link encodeImageGrid} writes); alpha is dropped.
 *
 * @param file - names the source in errors.
 * @returns a new tensor; the caller disposes it.
 */
export function decodeImage(png: Uint8Array, channels: 1 | 3 = 1, file = '<png>'): tf.Tensor3D {
  let image: PngImage;
  try {
    image = PNG.sync.read(png);
  } catch (error) {
    throw new DataFormatError(file, 0, `not a readable PNG: ${(error as Error).message}`, { cause: error });
  }
  const { width, height, data } = image; // RGBA, 8 bits per channel
  const values = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) values[p * channels + c] = data[p * 4 + c]! / 127.5 - 1;
  }
  return tf.tensor3d(values, [height, width, channels]);
}

/** Reads a PNG file with {@link decodeImage}. The caller disposes the tensor. */
export async function readImage(path: string, channels: 1 | 3 = 1): Promise<tf.Tensor3D> {
  return decodeImage(await readFile(path), channels, path);
}
