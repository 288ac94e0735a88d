import { describe, expect, it } from 'vitest';
import { learnBPEMerges, mergePair } from './bpe-training.js';

const code = (character: string): number => character.charCodeAt(0);

describe('learnBPEMerges', () => {
  it('reproduces the hand-computed merges of "aaabdaaabac"', () => {
    // Pairs: aa 4 (overlaps count), ab 2, others 1 -> merge aa = 256: [256 a b d 256 a b a c].
    // Now (256,a) and (a,b) both occur twice: the tie goes to the smaller left id, a = 97,
    // so ab = 257: [256 257 d 256 257 a c]. Then (256,257) twice -> 258. Every pair left
    // occurs once, below minFrequency 2.
    expect(learnBPEMerges('aaabdaaabac', { numMerges: 10 })).toEqual([
      [code('a'), code('a')],
      [code('a'), code('b')],
      [256, 257],
    ]);
  });

  it('respects piece boundaries, piece counts and numMerges', () => {
    // Pieces: "ab" once, " ab" twice. (a,b) 3 -> 256; then (space,256) 2 -> 257.
    expect(learnBPEMerges('ab ab ab', { numMerges: 10 })).toEqual([
      [code('a'), code('b')],
      [code(' '), 256],
    ]);
    expect(learnBPEMerges('ab ab ab', { numMerges: 1 })).toEqual([[code('a'), code('b')]]);
    // (b,a) occurs twice, below minFrequency 3: no merge at all.
    expect(learnBPEMerges(['ba', 'ba'], { numMerges: 5, minFrequency: 3 })).toEqual([]);
  });

  it('is deterministic whatever the order of the corpus', () => {
    const texts = ['the cat sat on the mat', 'then the rat ran', 'that hat, that bat'];
    const forward = learnBPEMerges(texts, { numMerges: 20 });
    expect(learnBPEMerges([...texts].reverse(), { numMerges: 20 })).toEqual(forward);
  });
});

describe('mergePair', () => {
  it('merges left to right without overlap', () => {
    expect(mergePair([1, 1, 1], 1, 1, 9)).toEqual([9, 1]);
    expect(mergePair([1, 1, 1, 1], 1, 1, 9)).toEqual([9, 9]);
    expect(mergePair([1, 2, 1, 2, 3], 1, 2, 9)).toEqual([9, 9, 3]);
  });
});
