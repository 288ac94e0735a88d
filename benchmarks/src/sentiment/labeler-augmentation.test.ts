import { describe, expect, it } from 'vitest';
import { neutralSuffixCopies } from './labeler-augmentation.js';

describe('neutralSuffixCopies', () => {
  const sentences = [
    { text: 'a truly great film', label: 1 as const },
    { text: 'awful', label: 0 as const },
  ];

  it('makes `copies` word prefixes of each sentence followed by 1-3 fillers, keeping the label', () => {
    const copies = neutralSuffixCopies(sentences, 20, 7, ['!']);
    expect(copies).toHaveLength(40);
    const prefixes = new Set<string>();
    copies.forEach((copy, i) => {
      const source = sentences[Math.floor(i / 20)]!;
      expect(copy.label).toBe(source.label);
      const [, prefix, bangs] = /^([^!]+)(!+)$/.exec(copy.text)!;
      expect(bangs!.length).toBeGreaterThanOrEqual(1);
      expect(bangs!.length).toBeLessThanOrEqual(3);
      const words = prefix!.split(' ');
      expect(source.text.split(' ').slice(0, words.length)).toEqual(words);
      prefixes.add(prefix!);
    });
    // Every prefix length of the 4-word sentence turns up in 20 draws; "awful" has one.
    expect(prefixes.size).toBe(5);
  });

  it('is seeded', () => {
    expect(neutralSuffixCopies(sentences, 2, 1)).toEqual(neutralSuffixCopies(sentences, 2, 1));
    expect(neutralSuffixCopies(sentences, 0, 1)).toEqual([]);
  });
});
