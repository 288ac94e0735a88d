import { describe, expect, it } from 'vitest';
import { loadEmojiCatalog } from './emoji-catalog.js';
import { mirrorSafeEmoji } from './emoji-mirror.js';

describe('mirrorSafeEmoji', () => {
  const entries = loadEmojiCatalog('twitter', { skinTones: true });
  const flags = mirrorSafeEmoji(entries);
  const safe = new Map(entries.map((entry, i) => [entry.caption, flags[i]!]));

  it('keeps emoji whose mirror image is still their caption', () => {
    for (const caption of [
      'red apple',
      'grinning face',
      'dog face',
      'octopus',
      'thumbs up',
      'waving hand: light skin tone',
    ])
      expect(safe.get(caption), caption).toBe(true);
  });

  it('drops flags, symbols, clocks, sided captions and emoji with a mirrored twin', () => {
    for (const caption of [
      'flag: Egypt', // Flags
      'keycap: 1', // Symbols (digits)
      'right arrow', // Symbols (arrows)
      'one o’clock', // clock faces
      'leftwards hand', // names a side
      'left-facing fist',
      'person walking', // its flip is 'person walking: facing right'
      'person walking: facing right',
      'man running: medium skin tone', // twin of 'man running: medium skin tone, facing right'
    ])
      expect(safe.get(caption), caption).toBe(false);
  });

  it('flips about four in five emoji of the catalog', () => {
    expect(flags).toHaveLength(entries.length);
    const share = flags.filter(Boolean).length / entries.length;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.9);
  });
});
