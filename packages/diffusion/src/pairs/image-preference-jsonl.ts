import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  DataFormatError,
  InvalidArgumentError,
  classLabelField,
  imageField,
  loadPreferenceJsonl,
  requireInteger,
  writeFileAtomic,
  writePreferenceJsonl,
  type ImageReference,
  type PreferenceRecordInput,
  type PreferenceSchema,
} from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import { imageSize, type ImagePreferenceDataset } from '../dpo/image-preference-dataset.js';
import { decodeImage, encodeImageGrid } from '../image-grid.js';

/** The JSONL schema of image preference pairs: a class label prompt and PNG image responses. */
export function imagePreferenceSchema(numClasses?: number): PreferenceSchema<number, ImageReference> {
  return { prompt: classLabelField(numClasses === undefined ? {} : { numClasses }), response: imageField() };
}

/** Options of {@link writeImagePreferenceJsonl}. */
export interface WriteImagePreferenceJsonlOptions {
  /**
   * `'files'`: one PNG per image in `imageDir` (relative to the JSONL file), referenced by path;
   * `'data-url'`: PNGs inline as `data:image/png;base64,...` (one self-contained file).
   * @defaultValue 'files'
   */
  readonly images?: 'files' | 'data-url';
  /** Folder of the PNGs, relative to the JSONL file. @defaultValue 'images' */
  readonly imageDir?: string;
  /** Number of classes, to validate labels. @defaultValue unchecked */
  readonly numClasses?: number;
  /** Extra fields per pair (rewards, ids), written after prompt/chosen/rejected. */
  readonly extra?: (index: number) => Readonly<Record<string, unknown>>;
}

/**
 * Writes image pairs in TRL's preference format with core's `writePreferenceJsonl`:
 * `{"prompt": 7, "chosen": "images/000007-chosen.png", "rejected": "images/000007-rejected.png", ...extra}`.
 * PNGs are 8-bit (round((v + 1) * 127.5)), greyscale for one channel; the JSONL is written
 * atomically after every PNG.
 * @returns the number of pairs written.
 */
export async function writeImagePreferenceJsonl(file: string, dataset: ImagePreferenceDataset, options: WriteImagePreferenceJsonlOptions = {}): Promise<number> {
  const mode = options.images ?? 'files';
  if (mode !== 'files' && mode !== 'data-url') throw new InvalidArgumentError('options.images', '"files" or "data-url"', mode);
  const size = imageSize(dataset.imageShape);
  const directory = path.dirname(path.resolve(file));
  const imageDir = options.imageDir ?? 'images';
  if (mode === 'files') await mkdir(path.join(directory, imageDir), { recursive: true });
  const digits = Math.max(6, String(dataset.count - 1).length);
  const records: PreferenceRecordInput<number, ImageReference>[] = [];
  for (let i = 0; i < dataset.count; i++) {
    const reference = async (side: 'chosen' | 'rejected'): Promise<ImageReference> => {
      const png = encodeImageGrid({ data: dataset[side].subarray(i * size, (i + 1) * size), shape: [1, ...dataset.imageShape] }, { padding: 0 });
      if (mode === 'data-url') return { kind: 'data-url', url: `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}` };
      const relative = `${imageDir}/${String(i).padStart(digits, '0')}-${side}.png`;
      await writeFileAtomic(path.join(directory, relative), png);
      return { kind: 'file', path: relative };
    };
    records.push({ prompt: dataset.labels[i]!, chosen: await reference('chosen'), rejected: await reference('rejected'), ...(options.extra ? { extra: options.extra(i) } : {}) });
  }
  return writePreferenceJsonl(file, records, imagePreferenceSchema(options.numClasses));
}

/**
 * Reads image pairs written by {@link writeImagePreferenceJsonl} (or any TRL-format JSONL with a
 * class-label prompt and PNG paths / data URLs) into an {@link ImagePreferenceDataset}.
 * @throws DataFormatError naming the file and line when an image has another shape than `imageShape`.
 */
export async function loadImagePreferenceJsonl(file: string, imageShape: ImageShape, numClasses?: number): Promise<ImagePreferenceDataset> {
  const [height, width, channels] = imageShape;
  if (channels !== 1 && channels !== 3) throw new InvalidArgumentError('imageShape[2]', '1 or 3 channels', channels);
  if (numClasses !== undefined) requireInteger('numClasses', numClasses, { min: 1 });
  const records = await loadPreferenceJsonl(file, imagePreferenceSchema(numClasses));
  const size = imageSize(imageShape);
  const chosen = new Float32Array(records.length * size);
  const rejected = new Float32Array(records.length * size);
  const read = async (reference: ImageReference, line: number): Promise<Float32Array> => {
    const bytes = reference.kind === 'file' ? await readFile(reference.path) : Buffer.from(reference.url.slice(reference.url.indexOf(',') + 1), 'base64');
    const image = decodeImage(bytes, channels, reference.kind === 'file' ? reference.path : `${file} line ${line}`);
    try {
      if (image.shape[0] !== height || image.shape[1] !== width) {
        throw new DataFormatError(file, line, `image is ${image.shape[0]}x${image.shape[1]}, expected ${height}x${width}`);
      }
      return (await image.data()) as Float32Array;
    } finally {
      image.dispose();
    }
  };
  for (let i = 0; i < records.length; i++) {
    chosen.set(await read(records[i]!.chosen, i + 1), i * size);
    rejected.set(await read(records[i]!.rejected, i + 1), i * size);
  }
  return { chosen, rejected, labels: Int32Array.from(records, (r) => r.prompt), count: records.length, imageShape };
}
