import * as path from 'node:path';
import { writeImageGrid } from '@dpo-ts/diffusion';
import type { ReportImage } from '../harness/benchmark.js';

const IMAGE_SIZE = 28 * 28;

/** The first `count` images of a flattened `[n, 28, 28, 1]` set, copied. */
export function firstImages(images: Float32Array, count: number): Float32Array {
  if (images.length < count * IMAGE_SIZE)
    throw new Error(`firstImages: ${count} images asked, ${images.length / IMAGE_SIZE} available`);
  return images.slice(0, count * IMAGE_SIZE);
}

/** One row of samples per model, same noise in each column. */
export interface GridRow {
  readonly label: string;
  /** Flattened `[columns, 28, 28, 1]`. */
  readonly images: Float32Array;
}

/**
 * Writes one PNG with a row per model (every row from the same initial noise per column, digits
 * 0-9 left to right, repeated) and returns it as a report image whose title names the rows.
 */
export async function writeComparisonGrid(
  outDir: string,
  file: string,
  title: string,
  rows: readonly GridRow[],
  columns: number,
): Promise<ReportImage> {
  const data = new Float32Array(rows.length * columns * IMAGE_SIZE);
  rows.forEach((row, r) => {
    data.set(row.images.subarray(0, columns * IMAGE_SIZE), r * columns * IMAGE_SIZE);
  });
  await writeImageGrid(
    path.join(outDir, file),
    { data, shape: [rows.length * columns, 28, 28, 1] },
    { columns, scale: 2 },
  );
  return { title: `${title}. Rows, top to bottom: ${rows.map((row) => row.label).join('; ')}`, file };
}

/** Writes one model's samples as a grid of `rows` x 10 (one column per digit) and returns it as a report image. */
export async function writeMethodGrid(
  outDir: string,
  file: string,
  title: string,
  images: Float32Array,
  rows: number,
): Promise<ReportImage> {
  const count = rows * 10;
  await writeImageGrid(
    path.join(outDir, file),
    { data: firstImages(images, count), shape: [count, 28, 28, 1] },
    { columns: 10, scale: 2 },
  );
  return { title, file };
}
