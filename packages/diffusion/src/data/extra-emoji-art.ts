import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DPOTSError, InvalidArgumentError } from '@dpo-ts/core';
import type { EmojiEntry } from './emoji-catalog.js';
import { EMOJI_IMAGE_SIZE, type EmojiDataset } from './emoji-dataset.js';
import { optionalPackageDirectory, readPackageJson } from './emoji-sources.js';

/**
 * The extra emoji art sets: openly licensed emoji artwork that npm ships as SVG in Iconify's
 * JSON format, used only to give a text-to-image model more images of its training emoji.
 */
export type ExtraEmojiArtSet = 'fluent-emoji-flat' | 'emojione' | 'noto-v1';

/** Every {@link ExtraEmojiArtSet}. */
export const EXTRA_EMOJI_ART_SETS: readonly ExtraEmojiArtSet[] = Object.freeze([
  'fluent-emoji-flat',
  'emojione',
  'noto-v1',
] as const);

/** The licence of one extra art set, as its package's `info.json` states it. */
export interface ExtraEmojiArtLicense {
  /** The set. */
  readonly set: ExtraEmojiArtSet;
  /** The npm package holding the SVGs (Iconify's JSON: `icons.json`). */
  readonly packageName: string;
  /** The version the loader was written and tested against. */
  readonly packageVersion: string;
  /** The artwork's project. */
  readonly artwork: string;
  /** SPDX identifier of the artwork licence. */
  readonly license: string;
  /** The attribution to keep wherever the images, or models trained on them, are shown. */
  readonly attribution: string;
}

/**
 * Licences of the extra art sets, from each package's `info.json` (`license.spdx`, `author`).
 * Sets under share-alike licences (OpenMoji, EmojiOne 1: CC-BY-SA-4.0) are left out on purpose,
 * so weights trained with these stay under attribution-only terms. Also in the NOTICE file.
 */
export const EXTRA_EMOJI_ART_LICENSES: Readonly<Record<ExtraEmojiArtSet, ExtraEmojiArtLicense>> = Object.freeze({
  'fluent-emoji-flat': Object.freeze({
    set: 'fluent-emoji-flat',
    packageName: '@iconify-json/fluent-emoji-flat',
    packageVersion: '1.2.6',
    artwork: 'Fluent Emoji Flat (microsoft/fluentui-emoji)',
    license: 'MIT',
    attribution: 'Fluent Emoji, Copyright (c) Microsoft Corporation, licensed under the MIT License',
  }),
  emojione: Object.freeze({
    set: 'emojione',
    packageName: '@iconify-json/emojione',
    packageVersion: '1.2.3',
    artwork: 'EmojiOne 2 (EmojiTwo/emojitwo)',
    license: 'CC-BY-4.0',
    attribution:
      'Emoji artwork provided by EmojiOne (Ranks.com), licensed under CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)',
  }),
  'noto-v1': Object.freeze({
    set: 'noto-v1',
    packageName: '@iconify-json/noto-v1',
    packageVersion: '1.2.5',
    artwork: 'Noto Emoji, version 1 (googlefonts/noto-emoji)',
    license: 'Apache-2.0',
    attribution: 'Noto Emoji images, Copyright Google Inc., licensed under the Apache License 2.0',
  }),
});

/** The rasteriser's package (resvg compiled to WebAssembly; MPL-2.0). */
export const RESVG_WASM_PACKAGE = '@resvg/resvg-wasm';

/** Extra images of catalog emoji: an {@link EmojiDataset} plus the set each image comes from. */
export interface ExtraEmojiArt extends EmojiDataset {
  /**
   * `entries[i]` is the catalog entry of the emoji image i depicts, as passed in (its `vendor`,
   * `sheetX` and `sheetY` are that entry's, not this image's); `sets[i]` is the art image i is.
   */
  readonly sets: readonly ExtraEmojiArtSet[];
  /** Per set: how many of the distinct requested emoji it has a drawing of (in the result). */
  readonly matched: Readonly<Record<string, number>>;
  /** Per set: drawings resvg could not render (skipped, not in the result). */
  readonly unrenderable: Readonly<Record<string, number>>;
}

/** Options of {@link loadExtraEmojiArt}. */
export interface ExtraEmojiArtOptions {
  /** Which sets, in this order in the result. @defaultValue every {@link EXTRA_EMOJI_ART_SETS} */
  readonly sets?: readonly ExtraEmojiArtSet[];
  /**
   * Side of the raster each SVG is drawn at before it is area-averaged down to 32 px (a
   * multiple of 32). @defaultValue 128
   */
  readonly renderSize?: number;
}

/** One icon of an Iconify JSON set: SVG body markup and its view box (defaults: the set's). */
export interface IconifyIcon {
  /** The SVG markup inside `<svg>`. */
  readonly body: string;
  /** View box width. */
  readonly width?: number;
  /** View box height. */
  readonly height?: number;
  /** View box left edge. @defaultValue 0 */
  readonly left?: number;
  /** View box top edge. @defaultValue 0 */
  readonly top?: number;
}

/** Another name of an icon in an Iconify JSON set. */
export interface IconifyAlias {
  /** The icon this name draws. */
  readonly parent: string;
  /** Transformations of the parent (`hFlip`, `rotate`, ...), if any. */
  readonly [transform: string]: unknown;
}

/** The parts of an Iconify JSON set (`icons.json` of an `@iconify-json/*` package) read here. */
export interface IconifyJson {
  /** Icons by name. */
  readonly icons: Readonly<Record<string, IconifyIcon>>;
  /** Other names: `parent` is the icon drawn, other keys transform it (flips, rotations). */
  readonly aliases?: Readonly<Record<string, IconifyAlias>>;
  /** Default view box width. @defaultValue 16 */
  readonly width?: number;
  /** Default view box height. @defaultValue 16 */
  readonly height?: number;
}

/**
 * The Iconify icon name an emoji caption becomes: lower case, accents dropped, every run of
 * other characters one hyphen (`flag: Côte d’Ivoire` becomes `flag-cote-d-ivoire`).
 */
export function iconifyEmojiName(caption: string): string {
  return caption
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * The SVG of icon `name` in an Iconify JSON set, following aliases that only rename (an alias
 * that flips or rotates its parent is skipped: the drawing would not be the emoji), with a
 * square view box: a non-square icon is centred in it. Null when the set has no such icon.
 */
export function iconifySvg(json: IconifyJson, name: string): string | null {
  let icon = json.icons[name];
  if (icon === undefined) {
    const alias = json.aliases?.[name];
    if (alias === undefined || Object.keys(alias).some((key) => key !== 'parent')) return null;
    icon = json.icons[alias.parent];
    if (icon === undefined) return null;
  }
  const width = icon.width ?? json.width ?? 16;
  const height = icon.height ?? json.height ?? 16;
  // A square view box with the drawing centred, as the sprite sheets' square cells hold emoji.
  const side = Math.max(width, height);
  const left = (icon.left ?? 0) - (side - width) / 2;
  const top = (icon.top ?? 0) - (side - height) / 2;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${left} ${top} ${side} ${side}" width="${side}" height="${side}">${icon.body}</svg>`;
}

/**
 * Area-averages an opaque RGBA raster of side `size` (a multiple of 32) down to 32 x 32 RGB in
 * [-1, 1], written at `offset` of `target` (HWC): v = mean(c) / 127.5 - 1 over each
 * (size/32)^2 block, the same scale as the sprite-sheet images.
 */
export function downsampleRgbaTo32(rgba: Uint8Array, size: number, target: Float32Array, offset: number): void {
  const factor = size / EMOJI_IMAGE_SIZE;
  if (!Number.isInteger(factor) || factor < 1)
    throw new InvalidArgumentError('size', `a multiple of ${EMOJI_IMAGE_SIZE}`, size);
  if (rgba.length !== size * size * 4)
    throw new InvalidArgumentError('rgba', `${size * size * 4} bytes (${size}x${size} RGBA)`, rgba.length);
  const area = factor * factor;
  for (let y = 0; y < EMOJI_IMAGE_SIZE; y++) {
    for (let x = 0; x < EMOJI_IMAGE_SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * size;
          for (let dx = 0; dx < factor; dx++) sum += rgba[(row + x * factor + dx) * 4 + c]!;
        }
        target[offset + (y * EMOJI_IMAGE_SIZE + x) * 3 + c] = sum / area / 127.5 - 1;
      }
    }
  }
}

type ResvgModule = typeof import('@resvg/resvg-wasm');
let resvgReady: Promise<ResvgModule> | undefined;

/** resvg's WebAssembly build, initialised once per process. */
async function loadResvg(): Promise<ResvgModule> {
  resvgReady ??= (async () => {
    let wasmFile: string;
    try {
      wasmFile = createRequire(import.meta.url).resolve(`${RESVG_WASM_PACKAGE}/index_bg.wasm`);
    } catch (error) {
      throw new DPOTSError(
        `${RESVG_WASM_PACKAGE} is not installed: it is an optional peer dependency of @dpo-ts/diffusion, needed to draw the extra emoji art. ` +
          `Install it with: npm install ${RESVG_WASM_PACKAGE}@2.6.2`,
        { cause: error },
      );
    }
    const resvg = (await import('@resvg/resvg-wasm')) as ResvgModule;
    await resvg.initWasm(readFileSync(wasmFile));
    return resvg;
  })();
  return resvgReady;
}

/**
 * Renders `svg` at `renderSize` px on white into `target` (32 x 32 RGB in [-1, 1]); false when
 * resvg cannot (a few of Noto 1's drawings make it panic), leaving `target` as it was.
 */
function drawEmoji(resvg: ResvgModule, svg: string, renderSize: number, target: Float32Array): boolean {
  let rendered: InstanceType<ResvgModule['Resvg']> | undefined;
  let raster: ReturnType<InstanceType<ResvgModule['Resvg']>['render']> | undefined;
  try {
    rendered = new resvg.Resvg(svg, { fitTo: { mode: 'width', value: renderSize }, background: 'white' });
    raster = rendered.render();
    if (raster.width !== renderSize || raster.height !== renderSize) return false;
    downsampleRgbaTo32(raster.pixels, renderSize, target, 0);
    return true;
  } catch {
    return false;
  } finally {
    // After a failed render resvg may still hold a borrow, and freeing then throws.
    try {
      raster?.free();
      rendered?.free();
    } catch {}
  }
}

/**
 * Draws the catalog emoji in `entries` from the extra openly licensed art sets
 * (Fluent Emoji Flat, MIT; EmojiOne 2, CC-BY 4.0; Noto Emoji 1, Apache-2.0), as 32 x 32 RGB on
 * white in [-1, 1]: each SVG rendered by resvg at `renderSize` px on white, then area-averaged.
 * An emoji is found by its caption's Iconify name ({@link iconifyEmojiName}); one a set does
 * not draw, or draws under another name, is skipped (Fluent draws ~1,540 of the 1,906 base
 * emoji, EmojiOne ~1,060, Noto 1 ~1,200). Entries with a skin tone are skipped (the sets name
 * tones differently). Each distinct emoji id is drawn once per set, in the order of `entries`.
 *
 * Pass only training entries: a held-out emoji drawn by another set is still that emoji.
 *
 * @throws DPOTSError naming the package to install when a set or `@resvg/resvg-wasm` is missing.
 * @example
 * const { train } = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1 });
 * const extra = await loadExtraEmojiArt(train.entries, { sets: ['fluent-emoji-flat'] });
 */
export async function loadExtraEmojiArt(
  entries: readonly EmojiEntry[],
  options: ExtraEmojiArtOptions = {},
): Promise<ExtraEmojiArt> {
  const sets = options.sets ?? EXTRA_EMOJI_ART_SETS;
  if (!Array.isArray(sets as unknown) || sets.length === 0 || new Set(sets).size !== sets.length)
    throw new InvalidArgumentError('sets', `distinct sets among ${EXTRA_EMOJI_ART_SETS.join(', ')}`, sets);
  for (const [i, set] of sets.entries()) {
    if (!EXTRA_EMOJI_ART_SETS.includes(set))
      throw new InvalidArgumentError(`sets[${i}]`, `one of ${EXTRA_EMOJI_ART_SETS.join(', ')}`, set);
  }
  const renderSize = options.renderSize ?? 128;
  if (!Number.isInteger(renderSize) || renderSize < EMOJI_IMAGE_SIZE || renderSize % EMOJI_IMAGE_SIZE !== 0)
    throw new InvalidArgumentError('renderSize', `a positive multiple of ${EMOJI_IMAGE_SIZE}`, renderSize);
  const distinct: EmojiEntry[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.skinTone !== null || seen.has(entry.emojiId)) continue;
    seen.add(entry.emojiId);
    distinct.push(entry);
  }
  const resvg = await loadResvg();
  const size = EMOJI_IMAGE_SIZE * EMOJI_IMAGE_SIZE * 3;
  const chunks: Float32Array[] = [];
  const picked: EmojiEntry[] = [];
  const pickedSets: ExtraEmojiArtSet[] = [];
  const matched: Record<string, number> = {};
  const unrenderable: Record<string, number> = {};
  for (const set of sets) {
    const licence = EXTRA_EMOJI_ART_LICENSES[set];
    const directory = optionalPackageDirectory(licence.packageName, licence.packageVersion);
    const json = readPackageJson<IconifyJson>(join(directory, 'icons.json'));
    matched[set] = 0;
    unrenderable[set] = 0;
    for (const entry of distinct) {
      const svg = iconifySvg(json, iconifyEmojiName(entry.caption));
      if (svg === null) continue;
      const image = new Float32Array(size);
      if (!drawEmoji(resvg, svg, renderSize, image)) {
        unrenderable[set] += 1;
        continue;
      }
      chunks.push(image);
      picked.push(entry);
      pickedSets.push(set);
      matched[set]! += 1;
    }
  }
  const images = new Float32Array(chunks.length * size);
  for (const [i, chunk] of chunks.entries()) images.set(chunk, i * size);
  return {
    images,
    entries: picked,
    sets: pickedSets,
    matched,
    unrenderable,
    count: picked.length,
    imageShape: [EMOJI_IMAGE_SIZE, EMOJI_IMAGE_SIZE, 3],
  };
}
