import { requireInteger, requireNumber } from '@dpo-ts/core';
import { subsetEmojiDataset, type EmojiDataset } from './emoji-dataset.js';

/** Options of {@link splitEmojiDataset}. */
export interface EmojiSplitOptions {
  /** Share of the distinct emoji held out, in [0, 1]. @defaultValue 0.1 */
  readonly heldOutFraction?: number;
  /** Changes which emoji are held out. @defaultValue 0 */
  readonly seed?: number;
}

/** The two sides of {@link splitEmojiDataset}, and which emoji ids went where. */
export interface EmojiSplit {
  /** Every image of the emoji not held out (all vendors and skin tones of each). */
  readonly train: EmojiDataset;
  /** Every image of the held-out emoji, so no emoji appears on both sides. */
  readonly heldOut: EmojiDataset;
  /** The held-out `emojiId`s, sorted. */
  readonly heldOutIds: readonly string[];
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
 * Splits BY EMOJI: every image of one `emojiId` (both vendors, every skin tone) goes to the
 * same side, so a held-out caption was never seen in training in any style. The held-out
 * emoji are the round(heldOutFraction * distinct) ids with the smallest FNV-1a hash of
 * `${seed}:${emojiId}` (ties by id): deterministic, independent of vendor set and load order,
 * and the same emoji stay held out when skin tones are added. Images keep their order.
 */
export function splitEmojiDataset(dataset: EmojiDataset, options: EmojiSplitOptions = {}): EmojiSplit {
  const fraction = requireNumber('heldOutFraction', options.heldOutFraction ?? 0.1, { min: 0, max: 1 });
  const seed = requireInteger('seed', options.seed ?? 0);
  const ids = [...new Set(dataset.entries.map((entry) => entry.emojiId))];
  const ranked = ids
    .map((id) => ({ id, hash: fnv1a32(`${seed}:${id}`) }))
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
  };
}
