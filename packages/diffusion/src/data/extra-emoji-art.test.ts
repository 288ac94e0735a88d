import { beforeAll, describe, expect, it } from 'vitest';
import type { EmojiEntry } from './emoji-catalog.js';
import { loadEmojiDataset, type EmojiDataset } from './emoji-dataset.js';
import {
  EXTRA_EMOJI_ART_LICENSES,
  EXTRA_EMOJI_ART_SETS,
  downsampleRgbaTo32,
  iconifyEmojiName,
  iconifySvg,
  loadExtraEmojiArt,
  type ExtraEmojiArt,
  type ExtraEmojiArtSet,
} from './extra-emoji-art.js';

const PIXELS = 32 * 32 * 3;
const image = (dataset: EmojiDataset, i: number) => dataset.images.subarray(i * PIXELS, (i + 1) * PIXELS);
const meanAbsoluteDifference = (a: Float32Array, b: Float32Array) =>
  a.reduce((sum, value, k) => sum + Math.abs(value - b[k]!), 0) / a.length;

describe('iconifyEmojiName', () => {
  it('writes CLDR captions as Iconify icon names', () => {
    expect(iconifyEmojiName('red apple')).toBe('red-apple');
    expect(iconifyEmojiName('flag: Côte d’Ivoire')).toBe('flag-cote-d-ivoire');
    expect(iconifyEmojiName('keycap: #')).toBe('keycap');
    expect(iconifyEmojiName('  A-OK!  ')).toBe('a-ok');
  });
});

describe('iconifySvg', () => {
  const json = {
    width: 32,
    height: 32,
    icons: { apple: { body: '<path d="M0 0h32v32z"/>' }, swan: { body: '<g/>', width: 32, height: 36, left: 2 } },
    aliases: { pomme: { parent: 'apple' }, 'apple-flipped': { parent: 'apple', hFlip: true } },
  };

  it('wraps the body in a square view box, centring a non-square icon', () => {
    expect(iconifySvg(json, 'apple')).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 32 32" width="32" height="32"><path d="M0 0h32v32z"/></svg>',
    );
    // 32 x 36 at left 2: side 36, the 4 extra columns split 2 and 2, so x from 0 to 36.
    expect(iconifySvg(json, 'swan')).toContain('viewBox="0 0 36 36" width="36" height="36"><g/>');
  });

  it('follows a renaming alias, not one that flips, and returns null for a missing icon', () => {
    expect(iconifySvg(json, 'pomme')).toBe(iconifySvg(json, 'apple'));
    expect(iconifySvg(json, 'apple-flipped')).toBeNull();
    expect(iconifySvg(json, 'pear')).toBeNull();
  });
});

describe('downsampleRgbaTo32', () => {
  it('averages each block and scales to [-1, 1]', () => {
    // 64 px: pixel (x, y) has red 2x, green 255 - 2y, blue 0 (x, y < 64, so red <= 126).
    const rgba = new Uint8Array(64 * 64 * 4);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) rgba.set([2 * x, 255 - 2 * y, 0, 255], (y * 64 + x) * 4);
    const out = new Float32Array(PIXELS + 3).fill(9);
    downsampleRgbaTo32(rgba, 64, out, 3);
    expect(out[0]).toBe(9);
    // Output (1, 2): x in {2, 3} -> red mean 5; y in {4, 5} -> green mean 255 - 9 = 246.
    const at = 3 + (2 * 32 + 1) * 3;
    expect(out[at]).toBeCloseTo(5 / 127.5 - 1, 6);
    expect(out[at + 1]).toBeCloseTo(246 / 127.5 - 1, 6);
    expect(out[at + 2]).toBeCloseTo(-1, 6);
  });

  it('names a size that is not a multiple of 32 and a raster of the wrong length', () => {
    expect(() => downsampleRgbaTo32(new Uint8Array(48 * 48 * 4), 48, new Float32Array(PIXELS), 0)).toThrow(
      /size.*multiple of 32.*48/,
    );
    expect(() => downsampleRgbaTo32(new Uint8Array(10), 64, new Float32Array(PIXELS), 0)).toThrow(
      /rgba.*16384 bytes.*10/,
    );
  });
});

describe('loadExtraEmojiArt', () => {
  const captions = ['red apple', 'green book', 'grinning face', 'squid', 'swan'];
  let twemoji: EmojiDataset;
  let entries: EmojiEntry[];
  let extra: ExtraEmojiArt;
  beforeAll(async () => {
    twemoji = await loadEmojiDataset({ vendors: ['twitter'], skinTones: true });
    entries = captions.map((caption) => twemoji.entries.find((entry) => entry.caption === caption)!);
    const thumbsUp = twemoji.entries.filter((entry) => entry.unified.startsWith('1F44D'));
    // A duplicate and a skin-tone variant: drawn once, and not at all.
    extra = await loadExtraEmojiArt([...entries, entries[0]!, thumbsUp.find((entry) => entry.skinTone !== null)!]);
  });

  it('draws each emoji once per set that has it, in set order, skipping skin tones', () => {
    // Fluent draws all five; EmojiOne 2 and Noto 1 have no "swan" (Unicode 11).
    expect(extra.matched).toEqual({ 'fluent-emoji-flat': 5, emojione: 4, 'noto-v1': 4 });
    expect(extra.unrenderable).toEqual({ 'fluent-emoji-flat': 0, emojione: 0, 'noto-v1': 0 });
    expect(extra.count).toBe(13);
    expect(extra.images.length).toBe(13 * PIXELS);
    expect(extra.sets.slice(0, 6)).toEqual([...new Array(5).fill('fluent-emoji-flat'), 'emojione']);
    expect(extra.entries.map((entry) => entry.caption).slice(0, 5)).toEqual(captions);
    expect(extra.entries[0]).toBe(entries[0]);
  });

  it('is on white in [-1, 1], and each set draws the red apple and the grinning face like Twemoji does', () => {
    for (let i = 0; i < extra.count; i++) {
      const drawing = image(extra, i);
      for (const corner of [0, 31 * 3, 31 * 32 * 3, (32 * 32 - 1) * 3]) expect(drawing[corner]).toBeCloseTo(1, 2);
      expect(Math.min(...drawing)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...drawing)).toBeLessThanOrEqual(1 + 1e-6);
    }
    // Nearest of the five Twemoji images by mean absolute pixel difference: its own emoji (a
    // drawing rendered off-centre, at the wrong scale or in the wrong colours would not be).
    for (const set of EXTRA_EMOJI_ART_SETS) {
      for (const caption of ['red apple', 'grinning face']) {
        const i = extra.entries.findIndex((entry, k) => entry.caption === caption && extra.sets[k] === set);
        const distances = entries.map((entry) =>
          meanAbsoluteDifference(image(extra, i), image(twemoji, twemoji.entries.indexOf(entry))),
        );
        expect(captions[distances.indexOf(Math.min(...distances))], `${set} ${caption}`).toBe(caption);
      }
    }
  });

  it('names an unknown set, a repeated set and a bad render size', async () => {
    await expect(loadExtraEmojiArt(entries, { sets: ['openmoji' as ExtraEmojiArtSet] })).rejects.toThrow(
      /sets\[0\].*fluent-emoji-flat, emojione, noto-v1.*openmoji/,
    );
    await expect(loadExtraEmojiArt(entries, { sets: ['emojione', 'emojione'] })).rejects.toThrow(/sets.*distinct/);
    await expect(loadExtraEmojiArt(entries, { renderSize: 100 })).rejects.toThrow(/renderSize.*multiple of 32.*100/);
  });

  it('records a licence per set, none of them share-alike', () => {
    for (const set of EXTRA_EMOJI_ART_SETS) {
      const licence = EXTRA_EMOJI_ART_LICENSES[set];
      expect(licence.set).toBe(set);
      expect(['MIT', 'CC-BY-4.0', 'Apache-2.0']).toContain(licence.license);
      expect(licence.attribution.length).toBeGreaterThan(20);
    }
  });
});
