import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import { loadEmojiCatalog, type EmojiCatalogOptions, type EmojiEntry } from './emoji-catalog.js';
import { copyEmojiCell, readEmojiSpriteSheet } from './emoji-sprite-sheet.js';
import { EMOJI_ARTWORK_LICENSES, EMOJI_VENDORS, optionalPackageDirectory, type EmojiVendor } from './emoji-sources.js';

/** Side of the emoji images, in pixels: emoji-datasource's 32 px sprite sheet. */
export const EMOJI_IMAGE_SIZE = 32;

/**
 * Captioned emoji images on the host: `images` is `[count, 32, 32, 3]` (NHWC) flattened,
 * float32 RGB in [-1, 1], composited on white (white is 1); `entries[i]` describes image i.
 */
export interface EmojiDataset {
  /** Every image, `[count, 32, 32, 3]` row-major, float32 RGB in [-1, 1] on white. */
  readonly images: Float32Array;
  /** What image i shows: caption, vendor, emoji id, tags; `count` entries. */
  readonly entries: readonly EmojiEntry[];
  /** Number of images. */
  readonly count: number;
  /** `[32, 32, 3]`. */
  readonly imageShape: ImageShape;
}

/** Options of {@link loadEmojiDataset}. */
export interface EmojiDatasetOptions extends EmojiCatalogOptions {
  /** Which art sets, in this order in the dataset. @defaultValue ['twitter', 'google'] */
  readonly vendors?: readonly EmojiVendor[];
}

/**
 * Loads the captioned emoji dataset from `emoji-datasource-twitter` (Twemoji, CC-BY 4.0) and
 * `emoji-datasource-google` (Noto Emoji, Apache-2.0) 16.0.0, with captions and tags from
 * `emojibase-data`: ~1,906 emoji per vendor (~3,781 with skin tones). Images are cut from the
 * vendor-only ("clean") 32 px sprite sheet, so no image is another vendor's fallback.
 * Decoding one sheet takes well under a second.
 *
 * The packages are optional peer dependencies: install them next to @dpo-ts/diffusion. Anything
 * shown or published from this data must carry the attributions in
 * {@link EMOJI_ARTWORK_LICENSES} (also in the package's NOTICE file).
 *
 * @throws DPOTSError naming the package to install when one is missing.
 * @example
 * const emoji = await loadEmojiDataset({ vendors: ['twitter'] });
 * const { train, heldOut } = splitEmojiDataset(emoji, { heldOutFraction: 0.1 });
 */
export async function loadEmojiDataset(options: EmojiDatasetOptions = {}): Promise<EmojiDataset> {
  const vendors: readonly EmojiVendor[] = options.vendors ?? EMOJI_VENDORS;
  if (!Array.isArray(vendors as unknown) || vendors.length === 0 || new Set(vendors).size !== vendors.length) {
    throw new InvalidArgumentError('vendors', `distinct vendors among ${EMOJI_VENDORS.join(', ')}`, vendors);
  }
  for (const [i, vendor] of vendors.entries()) {
    if (!EMOJI_VENDORS.includes(vendor))
      throw new InvalidArgumentError(`vendors[${i}]`, `one of ${EMOJI_VENDORS.join(', ')}`, vendor);
  }
  const size = EMOJI_IMAGE_SIZE * EMOJI_IMAGE_SIZE * 3;
  const catalogs = vendors.map((vendor) => loadEmojiCatalog(vendor, options));
  const count = catalogs.reduce((total, catalog) => total + catalog.length, 0);
  const images = new Float32Array(count * size);
  let index = 0;
  for (const [v, vendor] of vendors.entries()) {
    const licence = EMOJI_ARTWORK_LICENSES[vendor];
    const directory = optionalPackageDirectory(licence.packageName, licence.packageVersion);
    const sheet = await readEmojiSpriteSheet(
      join(directory, 'img', vendor, 'sheets-clean', `${EMOJI_IMAGE_SIZE}.png`),
      EMOJI_IMAGE_SIZE,
    );
    for (const entry of catalogs[v]!) copyEmojiCell(sheet, entry.sheetX, entry.sheetY, images, size * index++);
  }
  return { images, entries: catalogs.flat(), count, imageShape: [EMOJI_IMAGE_SIZE, EMOJI_IMAGE_SIZE, 3] };
}

/** The examples at `indices`, copied into a new dataset (entries in the same order). */
export function subsetEmojiDataset(dataset: EmojiDataset, indices: ArrayLike<number>): EmojiDataset {
  const size = dataset.imageShape[0] * dataset.imageShape[1] * dataset.imageShape[2];
  const images = new Float32Array(indices.length * size);
  const entries: EmojiEntry[] = [];
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) {
      throw new InvalidArgumentError(`indices[${i}]`, `an integer in [0, ${dataset.count})`, index);
    }
    images.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    entries.push(dataset.entries[index]!);
  }
  return { images, entries, count: indices.length, imageShape: dataset.imageShape };
}

/**
 * A caption with up to `maxTags` emojibase tags that do not already appear in it, for richer
 * text conditioning: `red apple (diet, food, fruit)`.
 */
export function emojiCaptionWithTags(entry: EmojiEntry, maxTags: number): string {
  const words = new Set(entry.caption.toLowerCase().split(/[^a-z0-9]+/));
  const extra = entry.tags.filter((tag) => !words.has(tag.toLowerCase())).slice(0, Math.max(0, maxTags));
  return extra.length === 0 ? entry.caption : `${entry.caption} (${extra.join(', ')})`;
}
