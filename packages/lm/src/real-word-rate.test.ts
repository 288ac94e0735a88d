import { describe, expect, it } from 'vitest';
import { realWordRate, textWords } from './real-word-rate.js';

const dictionary = new Set(['the', 'whale', 'tail', 'don', 'it', 'stop']);

describe('textWords', () => {
  it('lower-cases letter runs and keeps internal apostrophes', () => {
    expect(textWords("Don't stop, Ishmael!")).toEqual(["don't", 'stop', 'ishmael']);
    expect(textWords('state-of-the-art 42 café')).toEqual(['state', 'of', 'the', 'art', 'caf']);
    expect(textWords("'quoted' it’s")).toEqual(['quoted', 'it’s']);
    expect(textWords('  1990, ...')).toEqual([]);
  });
});

describe('realWordRate', () => {
  it('counts known words and clitic forms of known stems (hand-counted)', () => {
    // words: the, whale's, tail, don't, xyzzy, qqq -> real: the, whale's, tail, don't = 4 of 6
    const result = realWordRate(["The whale's tail, don't xyzzy!", 'qqq'], dictionary);
    expect(result).toEqual({ rate: 4 / 6, words: 6, realWords: 4 });
  });

  it('accepts the typographic apostrophe and refuses unknown stems', () => {
    // it’s (stem it) real; zork's (stem zork) not; stop real -> 2 of 3
    expect(realWordRate(['it’s', "zork's stop"], dictionary)).toEqual({ rate: 2 / 3, words: 3, realWords: 2 });
  });

  it('is NaN without words, and names a bad entry', () => {
    const empty = realWordRate(['', '123 !'], dictionary);
    expect(empty.words).toBe(0);
    expect(empty.rate).toBeNaN();
    expect(() => realWordRate(['the', 7 as unknown as string], dictionary)).toThrow('texts[1]');
  });
});
