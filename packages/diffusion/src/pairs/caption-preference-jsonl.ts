import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import {
  decodeField,
  encodeField,
  fieldFailure,
  fieldOk,
  imageField,
  loadJsonl,
  textField,
  writeJsonl,
  type FieldCodec,
  type ImageReference,
  type JsonlReadOptions,
  type RecordLocation,
} from '@dpo-ts/core/data';
import { writeFileAtomic } from '@dpo-ts/core/io';
import type { ImageShape } from '../denoiser.js';
import { decodeImage, encodeImageGrid } from '../image-grid.js';

/**
 * One Pick-a-Pic-style comparison: a caption, two images and which was preferred.
 * JSONL: `{"caption": "red apple", "image_0": "images/000000-0.png", "image_1": "images/000000-1.png", "label_0": 1, ...}`.
 *
 * Pick-a-Pic names the images `jpg_0`/`jpg_1` and stores JPEG bytes; here they are PNG
 * references (core's image field: a path relative to the JSONL file, or a data URL), so the
 * fields are `image_0`/`image_1`. `label_0` is 1 when image 0 won, 0 when image 1 won, 0.5 for a
 * tie (Pick-a-Pic's convention; its `label_1` is 1 - `label_0` and is not written).
 */
export interface CaptionPreferenceRecord {
  /** The text prompt both images were generated for (`caption`), non-empty. */
  readonly caption: string;
  /** The first image (`image_0`): an absolute PNG path or a data URL. */
  readonly image0: ImageReference;
  /** The second image (`image_1`), as `image0`. */
  readonly image1: ImageReference;
  /** 1, 0 or 0.5 (tie). */
  readonly label0: CaptionPreferenceLabel;
  /** Every other field of the line, unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Pick-a-Pic's `label_0`: image 0 won (1), image 1 won (0), tie (0.5). */
export type CaptionPreferenceLabel = 0 | 0.5 | 1;

const FIELDS = new Set(['caption', 'image_0', 'image_1', 'label_0']);
const LABEL_EXPECTED = '1 (image_0 preferred), 0 (image_1 preferred) or 0.5 (tie)';

/** The `label_0` field: exactly 0, 0.5 or 1. */
export const pickAPicLabelField: FieldCodec<CaptionPreferenceLabel> = {
  expected: LABEL_EXPECTED,
  parse: (value) =>
    value === 0 || value === 0.5 || value === 1 ? fieldOk(value) : fieldFailure(LABEL_EXPECTED, value),
  serialize: (value) => value,
};

/** Captioned preference pairs as host images, ties removed: what a Diffusion-DPO trainer takes. */
export interface CaptionPreferenceImages {
  /** `[count, h, w, c]` flattened, in [-1, 1]: the preferred image of each pair. */
  readonly chosen: Float32Array;
  /** `[count, h, w, c]` flattened, in [-1, 1]: the other image. */
  readonly rejected: Float32Array;
  /** The caption of each pair, `count` of them. */
  readonly captions: readonly string[];
  /** Pairs kept (ties excluded). */
  readonly count: number;
  /** `[h, w, c]` of every image, the same for all pairs. */
  readonly imageShape: ImageShape;
  /** Lines with `label_0` 0.5, dropped as Diffusion-DPO does. */
  readonly tiesDropped: number;
}

/**
 * Reads a Pick-a-Pic-style JSONL file with core's streaming JSONL reader; every line is
 * checked (caption a non-empty string, `image_0`/`image_1` PNG paths or data URLs, `label_0`
 * 0, 0.5 or 1). Ties are kept here; {@link loadCaptionPreferenceImages} drops them.
 * @throws DataFormatError naming the file and line of the first bad record.
 */
export async function loadCaptionPreferenceJsonl(
  file: string,
  options: JsonlReadOptions = {},
): Promise<CaptionPreferenceRecord[]> {
  const caption = textField({ allowEmpty: false });
  const image = imageField();
  return loadJsonl(
    file,
    (object, location: RecordLocation) => ({
      caption: decodeField(object, 'caption', caption, location),
      image0: decodeField(object, 'image_0', image, location),
      image1: decodeField(object, 'image_1', image, location),
      label0: decodeField(object, 'label_0', pickAPicLabelField, location),
      extra: Object.fromEntries(Object.entries(object).filter(([key]) => !FIELDS.has(key))),
    }),
    options,
  );
}

/**
 * Reads a Pick-a-Pic-style JSONL file and decodes its PNGs into chosen/rejected host images,
 * dropping ties (`label_0` 0.5), as Diffusion-DPO does with Pick-a-Pic v2.
 *
 * @see Wallace et al. 2024, "Diffusion Model Alignment Using Direct Preference Optimization", Sec. 5 (ties removed).
 * @throws DataFormatError naming the file and line when a record is invalid or an image is not
 *   a readable PNG of `imageShape`'s height and width.
 */
export async function loadCaptionPreferenceImages(
  file: string,
  imageShape: ImageShape,
  options: JsonlReadOptions = {},
): Promise<CaptionPreferenceImages> {
  const [height, width, channels] = imageShape;
  if (channels !== 1 && channels !== 3) throw new InvalidArgumentError('imageShape[2]', '1 or 3 channels', channels);
  const records = await loadCaptionPreferenceJsonl(file, options);
  const kept = records.map((record, i) => ({ record, line: i + 1 })).filter(({ record }) => record.label0 !== 0.5);
  const size = height * width * channels;
  const chosen = new Float32Array(kept.length * size);
  const rejected = new Float32Array(kept.length * size);
  const read = async (reference: ImageReference, line: number, field: string): Promise<Float32Array> => {
    let bytes: Uint8Array;
    try {
      bytes =
        reference.kind === 'file'
          ? await readFile(reference.path)
          : Buffer.from(reference.url.slice(reference.url.indexOf(',') + 1), 'base64');
    } catch (error) {
      throw new DataFormatError(
        file,
        line,
        `field "${field}": cannot read ${reference.kind === 'file' ? reference.path : 'the data URL'}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    let image: ReturnType<typeof decodeImage>;
    try {
      image = decodeImage(bytes, channels, `${file} line ${line}`);
    } catch (error) {
      throw new DataFormatError(file, line, `field "${field}" is not a readable PNG: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      if (image.shape[0] !== height || image.shape[1] !== width) {
        throw new DataFormatError(
          file,
          line,
          `field "${field}": image is ${image.shape[0]}x${image.shape[1]}, expected ${height}x${width}`,
        );
      }
      return image.dataSync() as Float32Array;
    } finally {
      image.dispose();
    }
  };
  for (const [i, { record, line }] of kept.entries()) {
    const [winner, loser] = record.label0 === 1 ? (['image0', 'image1'] as const) : (['image1', 'image0'] as const);
    chosen.set(await read(record[winner], line, winner === 'image0' ? 'image_0' : 'image_1'), i * size);
    rejected.set(await read(record[loser], line, loser === 'image0' ? 'image_0' : 'image_1'), i * size);
  }
  return {
    chosen,
    rejected,
    captions: kept.map(({ record }) => record.caption),
    count: kept.length,
    imageShape,
    tiesDropped: records.length - kept.length,
  };
}

/** One comparison to write: a caption, two images on the host and `label_0`. */
export interface CaptionPreferenceInput {
  /** The text prompt of both images, written as `caption`; non-empty. */
  readonly caption: string;
  /** `[h, w, c]` values in [-1, 1]. */
  readonly image0: Float32Array;
  /** The second image, same shape as `image0`, written as `image_1`. */
  readonly image1: Float32Array;
  /** Which image won: 1 (image 0), 0 (image 1) or 0.5 (tie), written as `label_0`. */
  readonly label0: CaptionPreferenceLabel;
  /** Extra fields (scores, seeds, labeler), written after the four named ones. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Options of {@link writeCaptionPreferenceJsonl}. */
export interface WriteCaptionPreferenceOptions {
  /**
   * `'files'`: one PNG per image in `imageDir` (relative to the JSONL file), referenced by path;
   * `'data-url'`: PNGs inline as `data:image/png;base64,...` (one self-contained file).
   * @defaultValue 'files'
   */
  readonly images?: 'files' | 'data-url';
  /** Folder of the PNGs, relative to the JSONL file. @defaultValue 'images' */
  readonly imageDir?: string;
}

/**
 * Writes comparisons as Pick-a-Pic-style JSONL (see {@link CaptionPreferenceRecord}) with core's
 * atomic JSONL writer, after every PNG (8-bit, round((v + 1) * 127.5); greyscale for one channel).
 * Ties are written as given; readers drop them.
 * @returns the number of lines written.
 * @throws InvalidArgumentError naming `records[i].<field>` for a bad caption, label, image size or extra field.
 */
export async function writeCaptionPreferenceJsonl(
  file: string,
  records: readonly CaptionPreferenceInput[],
  imageShape: ImageShape,
  options: WriteCaptionPreferenceOptions = {},
): Promise<number> {
  const mode = options.images ?? 'files';
  if (mode !== 'files' && mode !== 'data-url')
    throw new InvalidArgumentError('options.images', '"files" or "data-url"', mode);
  const [height, width, channels] = imageShape;
  const size = height * width * channels;
  const directory = path.dirname(path.resolve(file));
  const imageDir = options.imageDir ?? 'images';
  if (mode === 'files') await mkdir(path.join(directory, imageDir), { recursive: true });
  const digits = Math.max(6, String(records.length - 1).length);
  // Labels are checked before any PNG is written.
  for (const [i, record] of records.entries()) {
    if (!pickAPicLabelField.parse(record?.label0, { file, directory, field: 'label_0' }).ok) {
      throw new InvalidArgumentError(`records[${i}].label0`, LABEL_EXPECTED, record?.label0);
    }
  }
  const references: [ImageReference, ImageReference][] = [];
  for (const [i, record] of records.entries()) {
    const pair: ImageReference[] = [];
    for (const side of [0, 1] as const) {
      const pixels = side === 0 ? record.image0 : record.image1;
      if (!(pixels instanceof Float32Array) || pixels.length !== size) {
        throw new InvalidArgumentError(
          `records[${i}].image${side}`,
          `a Float32Array of ${size} values (${height}x${width}x${channels})`,
          pixels?.length ?? pixels,
        );
      }
      const png = encodeImageGrid({ data: pixels, shape: [1, height, width, channels] }, { padding: 0 });
      if (mode === 'data-url') {
        pair.push({ kind: 'data-url', url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` });
      } else {
        const relative = `${imageDir}/${String(i).padStart(digits, '0')}-${side}.png`;
        await writeFileAtomic(path.join(directory, relative), png);
        pair.push({ kind: 'file', path: path.join(directory, relative) });
      }
    }
    references.push(pair as [ImageReference, ImageReference]);
  }
  const caption = textField({ allowEmpty: false });
  const image = imageField();
  return writeJsonl(file, records, (record, index, context) => {
    const at = (field: string) => ({ ...context, field });
    const argument = `records[${index}]`;
    const fields: Record<string, unknown> = {
      caption: encodeField(record.caption, caption, at('caption'), `${argument}.caption`),
      image_0: encodeField(references[index]![0], image, at('image_0'), `${argument}.image0`),
      image_1: encodeField(references[index]![1], image, at('image_1'), `${argument}.image1`),
      label_0: encodeField(record.label0, pickAPicLabelField, at('label_0'), `${argument}.label0`),
    };
    for (const [key, value] of Object.entries(record.extra ?? {})) {
      if (FIELDS.has(key))
        throw new InvalidArgumentError(`${argument}.extra`, `an object without the field "${key}"`, record.extra);
      fields[key] = value;
    }
    return fields;
  });
}
