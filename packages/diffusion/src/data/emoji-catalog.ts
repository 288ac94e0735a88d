import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import {
  EMOJI_ARTWORK_LICENSES,
  EMOJIBASE_DATA_PACKAGE,
  optionalPackageDirectory,
  readPackageJson,
  type EmojiVendor,
} from './emoji-sources.js';

/** One emoji artwork of one vendor, with its caption and metadata. */
export interface EmojiEntry {
  /** Code points of this image, emoji-datasource's `unified`: `1F34E`, `1F44B-1F3FB`. */
  readonly unified: string;
  /**
   * Code points of the emoji without skin tone: the identity the train/held-out split uses,
   * so both vendors and every skin tone of one emoji land on the same side.
   */
  readonly emojiId: string;
  /** The art set this image comes from. */
  readonly vendor: EmojiVendor;
  /**
   * The caption: emojibase's CLDR label (`red apple`, `waving hand: light skin tone`,
   * `flag: Egypt`), or emoji-datasource's name in lower case where emojibase has none.
   */
  readonly caption: string;
  /** emoji-datasource's Unicode name, as written there (`RED APPLE`, `Egypt Flag`). */
  readonly name: string;
  /** emojibase tags of the emoji (skin-tone variants share their base's), possibly empty. */
  readonly tags: readonly string[];
  /** One of 10 emoji-datasource categories (`Food & Drink`). */
  readonly category: string;
  /** emoji-datasource subcategory (`food-fruit`). */
  readonly subcategory: string;
  /** Skin tone modifiers (`1F3FB`, `1F3FB-1F3FC`), or null for the base emoji. */
  readonly skinTone: string | null;
  /** Cell in the sprite sheets. */
  readonly sheetX: number;
  /** Row of the cell in the sprite sheets (emoji-datasource's `sheet_y`), 0-based. */
  readonly sheetY: number;
}

/** Options of {@link loadEmojiCatalog}. */
export interface EmojiCatalogOptions {
  /** Include skin-tone variants (about 1,875 more images per vendor). @defaultValue false */
  readonly skinTones?: boolean;
  /**
   * Categories left out. `Component` holds the five bare skin-tone swatches, which are colour
   * squares, not emoji art.
   * @defaultValue ['Component']
   */
  readonly excludeCategories?: readonly string[];
}

interface DatasourceEmoji {
  readonly name: string | null;
  readonly unified: string;
  readonly sheet_x: number;
  readonly sheet_y: number;
  readonly category: string;
  readonly subcategory: string;
  readonly sort_order: number;
  readonly skin_variations?: Readonly<Record<string, DatasourceSkin>>;
  readonly [hasImage: `has_img_${string}`]: boolean | undefined;
}
interface DatasourceSkin {
  readonly unified: string;
  readonly sheet_x: number;
  readonly sheet_y: number;
  readonly [hasImage: `has_img_${string}`]: boolean | undefined;
}
interface EmojibaseEmoji {
  readonly label: string;
  readonly hexcode: string;
  readonly tags?: readonly string[];
  readonly skins?: readonly EmojibaseEmoji[];
}

/** emoji-datasource writes the FE0F variation selector where Unicode requires it, emojibase not always. */
function joinKey(hexcode: string): string {
  return hexcode.toUpperCase().replace(/-FE0F/g, '');
}

/**
 * Lists one vendor's emoji (in emoji-datasource's `sort_order`, each base emoji followed by its
 * skin tones) with captions joined from `emojibase-data`'s English labels and tags by hexcode.
 * Only images the vendor drew itself (`has_img_<vendor>`) are listed.
 *
 * @throws DPOTSError naming the package to install when `emoji-datasource-<vendor>` or
 *   `emojibase-data` is missing; DataFormatError when emoji.json is not what 16.0.0 ships.
 */
export function loadEmojiCatalog(vendor: EmojiVendor, options: EmojiCatalogOptions = {}): EmojiEntry[] {
  const licence = EMOJI_ARTWORK_LICENSES[vendor];
  const directory = optionalPackageDirectory(licence.packageName, licence.packageVersion);
  const emojiFile = join(directory, 'emoji.json');
  const emoji = readPackageJson<DatasourceEmoji[]>(emojiFile);
  if (!Array.isArray(emoji)) throw new DataFormatError(emojiFile, 0, 'must hold a JSON array of emoji');
  const labels = emojibaseLabels();
  const excluded = new Set(options.excludeCategories ?? ['Component']);
  const hasImage = `has_img_${vendor}` as const;
  const entries: EmojiEntry[] = [];
  for (const item of [...emoji].sort((a, b) => a.sort_order - b.sort_order)) {
    if (excluded.has(item.category) || item[hasImage] !== true) continue;
    const base = labels.get(joinKey(item.unified));
    const common = {
      emojiId: item.unified,
      vendor,
      name: item.name ?? item.unified,
      tags: base?.tags ?? [],
      category: item.category,
      subcategory: item.subcategory,
    };
    const fallback = (item.name ?? item.unified).toLowerCase();
    entries.push({
      ...common,
      unified: item.unified,
      caption: base?.label ?? fallback,
      skinTone: null,
      sheetX: item.sheet_x,
      sheetY: item.sheet_y,
    });
    if (options.skinTones !== true || item.skin_variations === undefined) continue;
    for (const [tone, skin] of Object.entries(item.skin_variations)) {
      if (skin[hasImage] !== true) continue;
      const label = labels.get(joinKey(skin.unified))?.label ?? `${fallback}: ${tone.toLowerCase()}`;
      entries.push({
        ...common,
        unified: skin.unified,
        caption: label,
        skinTone: tone,
        sheetX: skin.sheet_x,
        sheetY: skin.sheet_y,
      });
    }
  }
  return entries;
}

/** emojibase's English data by join key, skin-tone entries included. */
function emojibaseLabels(): Map<string, EmojibaseEmoji> {
  const directory = optionalPackageDirectory(EMOJIBASE_DATA_PACKAGE, '17.0.0');
  const file = join(directory, 'en', 'data.json');
  const data = readPackageJson<EmojibaseEmoji[]>(file);
  if (!Array.isArray(data)) throw new DataFormatError(file, 0, 'must hold a JSON array of emoji');
  const labels = new Map<string, EmojibaseEmoji>();
  for (const item of data) {
    labels.set(joinKey(item.hexcode), item);
    for (const skin of item.skins ?? []) labels.set(joinKey(skin.hexcode), skin);
  }
  return labels;
}
