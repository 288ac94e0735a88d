import { InvalidArgumentError, requireInteger, requireNumber } from '@dpo-ts/core';
import { subsetEmojiDataset, type EmojiDataset } from './emoji-dataset.js';

/**
 * How {@link splitEmojiDataset} ranks emoji ids. `'fnv1a'`: plain FNV-1a, whose last-character
 * step is one multiplication, so ids that differ only in their last code point (`1F423`,
 * `1F424`, `1F425`: the chicks) get hashes a few multiples of 2^24 apart and are mostly held out
 * together: with seed 0, 72% of the held-out single-code-point emoji whose next code point is an
 * emoji have that neighbour held out too (10% for a uniform draw). `'mixed'`: FNV-1a followed by
 * MurmurHash3's fmix32 finaliser, which spreads every input bit over the whole hash (13% there):
 * a uniform draw of emoji, so related emoji ("thumbs up", "thumbs down") fall on both sides.
 */
export type EmojiSplitHash = 'fnv1a' | 'mixed';

/** Options of {@link splitEmojiDataset}. */
export interface EmojiSplitOptions {
  /** Share of the distinct emoji held out, in [0, 1]. @defaultValue 0.1 */
  readonly heldOutFraction?: number;
  /** Changes which emoji are held out. @defaultValue 0 */
  readonly seed?: number;
  /**
   * The ranking hash. @defaultValue 'mixed' (a uniform draw of emoji, the split the committed
   * emoji models are trained on since 2026-12-04; `'fnv1a'` is the earlier split, which holds out
   * runs of neighbouring code points, see {@link EmojiSplitHash})
   */
  readonly hash?: EmojiSplitHash;
}

/** The two sides of {@link splitEmojiDataset}, and which emoji ids went where. */
export interface EmojiSplit {
  /** Every image of the emoji not held out (all vendors and skin tones of each). */
  readonly train: EmojiDataset;
  /** Every image of the held-out emoji, so no emoji appears on both sides. */
  readonly heldOut: EmojiDataset;
  /** The held-out `emojiId`s, sorted. */
  readonly heldOutIds: readonly string[];
  /** The options the split was drawn with, defaults filled in (what a model's `training.json` records). */
  readonly options: Required<EmojiSplitOptions>;
}

/**
 * 32-bit FNV-1a of a string (UTF-16 code units): a fixed, platform-independent hash so the
 * split never depends on load order or on `Math.random`.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser (fmix32, Appleby 2011): xor-shift 16, times 0x85ebca6b,
 * xor-shift 13, times 0xc2b2ae35, xor-shift 16. A bijection on 32-bit integers in which each
 * input bit flips about half of the output bits.
 */
export function fmix32(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * {@link EmojiSplitOptions} with every default filled in (`{ heldOutFraction: 0.1, seed: 0, hash:
 * 'mixed' }` for `{}`), checked.
 * @throws InvalidArgumentError naming `heldOutFraction` (outside [0, 1]), `seed` (not an
 * integer) or `hash` (neither `'fnv1a'` nor `'mixed'`).
 */
export function resolveEmojiSplitOptions(options: EmojiSplitOptions = {}): Required<EmojiSplitOptions> {
  const heldOutFraction = requireNumber('heldOutFraction', options.heldOutFraction ?? 0.1, { min: 0, max: 1 });
  const seed = requireInteger('seed', options.seed ?? 0);
  const hash = options.hash ?? 'mixed';
  if (hash !== 'fnv1a' && hash !== 'mixed') throw new InvalidArgumentError('hash', "'fnv1a' or 'mixed'", hash);
  return { heldOutFraction, seed, hash };
}

/**
 * Splits BY EMOJI: every image of one `emojiId` (both vendors, every skin tone) goes to the
 * same side, so a held-out caption was never seen in training in any style. The held-out
 * emoji are the round(heldOutFraction * distinct) ids with the smallest hash of
 * `${seed}:${emojiId}` (FNV-1a, then fmix32 unless `hash: 'fnv1a'`; ties by id): deterministic,
 * independent of vendor set and load order, and the same emoji stay held out when skin tones
 * are added. Images keep their order.
 */
export function splitEmojiDataset(dataset: EmojiDataset, options: EmojiSplitOptions = {}): EmojiSplit {
  const resolved = resolveEmojiSplitOptions(options);
  const { heldOutFraction: fraction, seed, hash: hashKind } = resolved;
  const rank = hashKind === 'mixed' ? (text: string) => fmix32(fnv1a32(text)) : fnv1a32;
  const ids = [...new Set(dataset.entries.map((entry) => entry.emojiId))];
  const ranked = ids
    .map((id) => ({ id, hash: rank(`${seed}:${id}`) }))
    .sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const heldOutIds = new Set(ranked.slice(0, Math.round(fraction * ids.length)).map((item) => item.id));
  const train: number[] = [];
  const heldOut: number[] = [];
  dataset.entries.forEach((entry, index) => {
    (heldOutIds.has(entry.emojiId) ? heldOut : train).push(index);
  });
  return {
    train: subsetEmojiDataset(dataset, train),
    heldOut: subsetEmojiDataset(dataset, heldOut),
    heldOutIds: [...heldOutIds].sort(),
    options: resolved,
  };
}
