import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { DataFormatError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import {
  classLabelField,
  imageField,
  loadJsonl,
  parsePreferenceRecord,
  readImageBytes,
  resolveImageReadLimits,
  writePreferenceJsonl,
  type ImageReadLimits,
  type ImageReference,
  type PreferenceRecordInput,
  type PreferenceSchema,
  type RecordLocation,
} from '@dpo-ts/core/data';
import { writeFileAtomic } from '@dpo-ts/core/io';
import type { ImageShape } from '../denoiser.js';
import { imageSize, type ImagePreferenceDataset } from '../dpo/image-preference-dataset.js';
import { decodeImage, encodeImageGrid } from '../image-grid.js';

/**
 * The JSONL schema of image preference pairs: a class label prompt and PNG image responses.
 * @param confineToDirectory - refuse image paths outside the JSONL file's directory.
 */
export function imagePreferenceSchema(
  numClasses?: number,
  confineToDirectory = false,
): PreferenceSchema<number, ImageReference> {
  return {
    prompt: classLabelField(numClasses === undefined ? {} : { numClasses }),
    response: imageField({ confineToDirectory }),
  };
}

/** Options of {@link loadImagePreferenceJsonl}. */
export interface LoadImagePreferenceJsonlOptions {
  /** Number of classes, to validate labels. @defaultValue unchecked */
  readonly numClasses?: number;
  /**
   * Limits on each referenced image (core's `ImageReadLimits`): size in bytes, width and
   * height, and whether paths must stay inside the JSONL file's directory.
   * @defaultValue core's `DEFAULT_IMAGE_READ_LIMITS`: 32 MiB, 4096 pixels a side, not confined
   */
  readonly imageLimits?: ImageReadLimits;
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
export async function writeImagePreferenceJsonl(
  file: string,
  dataset: ImagePreferenceDataset,
  options: WriteImagePreferenceJsonlOptions = {},
): Promise<number> {
  const mode = options.images ?? 'files';
  if (mode !== 'files' && mode !== 'data-url')
    throw new InvalidArgumentError('options.images', '"files" or "data-url"', mode);
  const size = imageSize(dataset.imageShape);
  const directory = path.dirname(path.resolve(file));
  const imageDir = options.imageDir ?? 'images';
  if (mode === 'files') await mkdir(path.join(directory, imageDir), { recursive: true });
  const digits = Math.max(6, String(dataset.count - 1).length);
  const records: PreferenceRecordInput<number, ImageReference>[] = [];
  for (let i = 0; i < dataset.count; i++) {
    const reference = async (side: 'chosen' | 'rejected'): Promise<ImageReference> => {
      const png = encodeImageGrid(
        { data: dataset[side].subarray(i * size, (i + 1) * size), shape: [1, ...dataset.imageShape] },
        { padding: 0 },
      );
      if (mode === 'data-url')
        return {
          kind: 'data-url',
          url: `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`,
        };
      const relative = `${imageDir}/${String(i).padStart(digits, '0')}-${side}.png`;
      await writeFileAtomic(path.join(directory, relative), png);
      return { kind: 'file', path: relative };
    };
    records.push({
      prompt: dataset.labels[i]!,
      chosen: await reference('chosen'),
      rejected: await reference('rejected'),
      ...(options.extra ? { extra: options.extra(i) } : {}),
    });
  }
  return writePreferenceJsonl(file, records, imagePreferenceSchema(options.numClasses));
}

/**
 * Reads image pairs written by {@link writeImagePreferenceJsonl} (or any TRL-format JSONL with a
 * class-label prompt and PNG paths / data URLs) into an {@link ImagePreferenceDataset}.
 * Images are read with core's `readImageBytes`: regular files only, within
 * `options.imageLimits` (size, dimensions, optional confinement to the file's directory).
 *
 * @param options - the options object, or (older form) the number of classes.
 * @throws DataFormatError naming the JSONL file and the record's line (and the field) for a
 *   missing, unreadable, oversized or undecodable image, or one of another shape than `imageShape`.
 */
export async function loadImagePreferenceJsonl(
  file: string,
  imageShape: ImageShape,
  options: LoadImagePreferenceJsonlOptions | number = {},
): Promise<ImagePreferenceDataset> {
  const { numClasses, imageLimits } =
    typeof options === 'number' ? { numClasses: options, imageLimits: undefined } : options;
  const [height, width, channels] = imageShape;
  if (channels !== 1 && channels !== 3) throw new InvalidArgumentError('imageShape[2]', '1 or 3 channels', channels);
  if (numClasses !== undefined) requireInteger('numClasses', numClasses, { min: 1 });
  const limits = resolveImageReadLimits(imageLimits, 'options.imageLimits');
  const schema = imagePreferenceSchema(numClasses, limits.confineToDirectory);
  const records = await loadJsonl(file, (object, location) => ({
    record: parsePreferenceRecord(object, schema, location),
    location,
  }));
  const size = imageSize(imageShape);
  const chosen = new Float32Array(records.length * size);
  const rejected = new Float32Array(records.length * size);
  const read = async (
    reference: ImageReference,
    location: RecordLocation,
    field: 'chosen' | 'rejected',
  ): Promise<Float32Array> => {
    const at = (reason: string) =>
      new DataFormatError(
        file,
        location.line,
        `field "${field}": ${reference.kind === 'file' ? `image ${reference.path}` : 'inline image'}: ${reason}`,
      );
    const bytes = await readImageBytes(reference, { ...location, field }, limits);
    let image: ReturnType<typeof decodeImage>;
    try {
      image = decodeImage(bytes, channels);
    } catch (error) {
      throw at(error instanceof DataFormatError ? error.reason : String(error));
    }
    try {
      if (image.shape[0] !== height || image.shape[1] !== width)
        throw at(`image is ${image.shape[0]}x${image.shape[1]}, expected ${height}x${width}`);
      return (await image.data()) as Float32Array;
    } finally {
      image.dispose();
    }
  };
  for (let i = 0; i < records.length; i++) {
    const { record, location } = records[i]!;
    chosen.set(await read(record.chosen, location, 'chosen'), i * size);
    rejected.set(await read(record.rejected, location, 'rejected'), i * size);
  }
  return {
    chosen,
    rejected,
    labels: Int32Array.from(records, ({ record }) => record.prompt),
    count: records.length,
    imageShape,
  };
}
