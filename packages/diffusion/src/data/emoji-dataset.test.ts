import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmojiDataset, emojiCaptionWithTags, type EmojiDataset } from './emoji-dataset.js';
import { EMOJI_ARTWORK_LICENSES, EMOJI_VENDORS, optionalPackageDirectory } from './emoji-sources.js';
import { fmix32, fnv1a32, splitEmojiDataset } from './emoji-split.js';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs') as {
  PNG: { sync: { read(b: Buffer): { width: number; height: number; data: Uint8Array } } };
};
const PIXELS = 32 * 32 * 3;

function pixel(dataset: EmojiDataset, index: number, x: number, y: number): number[] {
  const start = index * PIXELS + (y * 32 + x) * 3;
  return Array.from(dataset.images.subarray(start, start + 3));
}

describe('loadEmojiDataset', () => {
  let both: EmojiDataset;
  beforeAll(async () => {
    both = await loadEmojiDataset();
  });

  it('lists every emoji of both vendors but the five skin-tone swatches', () => {
    // emoji-datasource 16.0.0: 1,911 entries per vendor, 5 of them in category Component.
    const emojiJson = require('emoji-datasource-twitter/emoji.json') as { category: string }[];
    const expected = emojiJson.filter((e) => e.category !== 'Component').length;
    expect(expected).toBe(1906);
    expect(both.count).toBe(2 * 1906);
    expect(both.images.length).toBe(both.count * PIXELS);
    expect(both.imageShape).toEqual([32, 32, 3]);
    expect(both.entries.filter((e) => e.vendor === 'twitter').length).toBe(1906);
    expect(new Set(both.entries.map((e) => e.category)).size).toBe(9);
  });

  it('captions from emojibase labels, with tags, category and subcategory', () => {
    const apples = both.entries.filter((e) => e.unified === '1F34E');
    expect(apples.map((e) => e.vendor)).toEqual(['twitter', 'google']);
    const apple = apples[0]!;
    expect(apple.caption).toBe('red apple');
    expect(apple.name).toBe('RED APPLE');
    expect(apple.category).toBe('Food & Drink');
    expect(apple.subcategory).toBe('food-fruit');
    expect(apple.tags).toEqual(['apple', 'diet', 'food', 'fruit', 'health', 'red', 'ripe']);
    expect(emojiCaptionWithTags(apple, 3)).toBe('red apple (diet, food, fruit)');
    expect(both.entries.find((e) => e.unified === '1F1EA-1F1EC')?.caption).toBe('flag: Egypt');
    expect(both.entries.every((e) => e.caption.length > 0 && e.caption === e.caption.trim())).toBe(true);
  });

  it('composites on white: corners are white and the red apple is red', () => {
    const index = both.entries.findIndex((e) => e.unified === '1F34E' && e.vendor === 'twitter');
    for (const [x, y] of [
      [0, 0],
      [31, 0],
      [0, 31],
      [31, 31],
    ] as const) {
      for (const value of pixel(both, index, x, y)) expect(value).toBeCloseTo(1, 5);
    }
    let red = 0;
    let green = 0;
    for (let p = 0; p < 32 * 32; p++) {
      red += both.images[index * PIXELS + p * 3]!;
      green += both.images[index * PIXELS + p * 3 + 1]!;
    }
    expect(red / 1024).toBeGreaterThan(green / 1024 + 0.3);
    let low = Infinity;
    let high = -Infinity;
    for (const value of both.images) [low, high] = [Math.min(low, value), Math.max(high, value)];
    expect(low).toBeGreaterThanOrEqual(-1);
    expect(high).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('matches the vendor 64 px PNG of the same emoji, downsampled independently', () => {
    const directory = dirname(require.resolve('emoji-datasource-google/package.json'));
    const png = PNG.sync.read(readFileSync(join(directory, 'img/google/64/1f34e.png')));
    expect([png.width, png.height]).toEqual([64, 64]);
    const index = both.entries.findIndex((e) => e.unified === '1F34E' && e.vendor === 'google');
    // Mean colour over the image, composited on white, in [-1, 1].
    const mean64 = [0, 0, 0];
    for (let p = 0; p < 64 * 64; p++) {
      const alpha = png.data[p * 4 + 3]! / 255;
      for (let c = 0; c < 3; c++)
        mean64[c]! += ((alpha * png.data[p * 4 + c]! + (1 - alpha) * 255) / 127.5 - 1) / (64 * 64);
    }
    const mean32 = [0, 0, 0];
    for (let p = 0; p < 1024; p++)
      for (let c = 0; c < 3; c++) mean32[c]! += both.images[index * PIXELS + p * 3 + c]! / 1024;
    for (let c = 0; c < 3; c++) expect(Math.abs(mean32[c]! - mean64[c]!)).toBeLessThan(0.03);
  });

  it('adds skin tones when asked, with their own captions and the base emoji id', async () => {
    const twitter = await loadEmojiDataset({ vendors: ['twitter'], skinTones: true });
    expect(twitter.count).toBe(1906 + 1875);
    const light = twitter.entries.find((e) => e.unified === '1F44B-1F3FB')!;
    expect(light.caption).toBe('waving hand: light skin tone');
    expect(light.emojiId).toBe('1F44B');
    expect(light.skinTone).toBe('1F3FB');
  });

  it('refuses unknown or repeated vendors, naming the argument', async () => {
    await expect(loadEmojiDataset({ vendors: ['apple' as never] })).rejects.toThrow(
      /vendors\[0\] must be one of twitter, google: got "apple"/,
    );
    await expect(loadEmojiDataset({ vendors: ['google', 'google'] })).rejects.toThrow(/vendors must be distinct/);
  });

  describe('splitEmojiDataset', () => {
    it('splits by emoji: disjoint ids, both vendors on one side, about the fraction', () => {
      const split = splitEmojiDataset(both, { heldOutFraction: 0.1, seed: 0 });
      expect(split.train.count + split.heldOut.count).toBe(both.count);
      expect(split.heldOutIds.length).toBe(Math.round(0.1 * 1906));
      const trainIds = new Set(split.train.entries.map((e) => e.emojiId));
      expect(split.heldOut.entries.some((e) => trainIds.has(e.emojiId))).toBe(false);
      // Each held-out emoji appears once per vendor.
      expect(split.heldOut.count).toBe(2 * split.heldOutIds.length);
      // Images travel with their entries.
      const first = split.heldOut.entries[0]!;
      const original = both.entries.indexOf(first);
      expect(split.heldOut.images.subarray(0, PIXELS)).toEqual(
        both.images.subarray(original * PIXELS, (original + 1) * PIXELS),
      );
    });

    it('is deterministic, independent of load order, and changes with the seed', () => {
      const a = splitEmojiDataset(both, { seed: 3 });
      const b = splitEmojiDataset({ ...both, entries: [...both.entries].reverse() }, { seed: 3 });
      expect(b.heldOutIds).toEqual(a.heldOutIds);
      expect(splitEmojiDataset(both, { seed: 4 }).heldOutIds).not.toEqual(a.heldOutIds);
    });

    it('hashes with 32-bit FNV-1a (published test vectors)', () => {
      expect(fnv1a32('')).toBe(0x811c9dc5);
      expect(fnv1a32('a')).toBe(0xe40c292c);
      expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    });

    it("mixes with MurmurHash3's fmix32 (values of the reference C code)", () => {
      expect(fmix32(0)).toBe(0);
      expect(fmix32(1)).toBe(0x514e28b7);
      expect(fmix32(0xdeadbeef)).toBe(0x0de5c6a9);
      expect(fmix32(0xffffffff)).toBe(0x81f16f39);
    });

    // Share of held-out single-code-point emoji whose next code point is also an emoji (of the
    // dataset) and held out as well: about the held-out fraction for a uniform draw of emoji.
    const neighbourShare = (heldOutIds: readonly string[]) => {
      const ids = new Set(both.entries.map((e) => e.emojiId));
      const held = new Set(heldOutIds);
      let pairs = 0;
      let together = 0;
      for (const id of held) {
        if (id.includes('-')) continue;
        const next = (Number.parseInt(id, 16) + 1).toString(16).toUpperCase().padStart(id.length, '0');
        if (!ids.has(next)) continue;
        pairs += 1;
        if (held.has(next)) together += 1;
      }
      return together / pairs;
    };

    it("holds out runs of neighbouring code points with plain FNV-1a, a uniform draw with 'mixed' (the default)", () => {
      const plain = splitEmojiDataset(both, { heldOutFraction: 0.1, seed: 0, hash: 'fnv1a' });
      const mixed = splitEmojiDataset(both, { heldOutFraction: 0.1, seed: 0, hash: 'mixed' });
      expect(splitEmojiDataset(both, { heldOutFraction: 0.1, seed: 0 }).heldOutIds).toEqual(mixed.heldOutIds);
      expect(mixed.heldOutIds.length).toBe(plain.heldOutIds.length);
      // Measured: 100 of 138 pairs (0.725) against 13 of 102 (0.127).
      expect(neighbourShare(plain.heldOutIds)).toBeGreaterThan(0.6);
      expect(neighbourShare(mixed.heldOutIds)).toBeLessThan(0.2);
      // The chicks (1F423 hatching, 1F424 baby, 1F425 front-facing) all go together with plain
      // FNV-1a; every split keeps whole emoji on one side.
      expect(['1F423', '1F424', '1F425'].every((id) => plain.heldOutIds.includes(id))).toBe(true);
      const trainIds = new Set(mixed.train.entries.map((e) => e.emojiId));
      expect(mixed.heldOut.entries.some((e) => trainIds.has(e.emojiId))).toBe(false);
      expect(() => splitEmojiDataset(both, { hash: 'md5' as 'mixed' })).toThrow(/hash.*'fnv1a' or 'mixed'.*md5/);
    });
  });
});

describe('emoji licences', () => {
  it('agree with each data package README and appear in the NOTICE file', () => {
    const notice = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../NOTICE'), 'utf8');
    const expectedReadmeLine = {
      twitter: /Twitter images are available under the \[Creative Commons Attribution 4\.0 license\]/,
      google: /Noto images, are available under the \[Apache License 2\.0\]/,
    };
    for (const vendor of EMOJI_VENDORS) {
      const licence = EMOJI_ARTWORK_LICENSES[vendor];
      const directory = optionalPackageDirectory(licence.packageName, licence.packageVersion);
      expect(readFileSync(join(directory, 'README.md'), 'utf8')).toMatch(expectedReadmeLine[vendor]);
      expect(JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).version).toBe(licence.packageVersion);
      expect(notice).toContain(`${licence.packageName}@${licence.packageVersion}`);
      expect(notice).toContain(`Licence: ${licence.license}`);
    }
  });

  it('names the package to install when a data package is missing', () => {
    expect(() => optionalPackageDirectory('emoji-datasource-nowhere', '16.0.0')).toThrow(
      /emoji-datasource-nowhere is not installed: .*npm install emoji-datasource-nowhere@16\.0\.0/,
    );
  });
});
