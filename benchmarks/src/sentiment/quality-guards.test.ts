import { describe, expect, it } from 'vitest';
import { englishDictionary, englishLossFlags, qualityGuards } from './quality-guards.js';

const dictionary = new Set(['the', 'cat', 'sat', 'good', 'food']);

describe('qualityGuards', () => {
  it('matches hand-computed values on three samples', () => {
    const guards = qualityGuards(
      [
        // words: the cat sat the cat (5, all known)
        { completion: 'the cat sat, the cat', completionIds: [1, 2, 3, 4], finished: true, baseLogProb: -8 },
        // words: good zzq (1 of 2 known)
        { completion: 'good zzq', completionIds: [5, 6], finished: false, baseLogProb: -6 },
        // no words
        { completion: '!!', completionIds: [7, 8, 9], finished: true, baseLogProb: -1 },
      ],
      dictionary,
    );
    // NLL: (8 + 6 + 1) / (4 + 2 + 3) = 15 / 9
    expect(guards.nllPerToken).toBeCloseTo(15 / 9, 12);
    // 6 of 7 words known
    expect(guards.realWordRate).toBeCloseTo(6 / 7, 12);
    // unigrams: the cat sat good zzq = 5 distinct of 7
    expect(guards.distinct1).toBeCloseTo(5 / 7, 12);
    // bigrams: (the cat) (cat sat) (sat the) (the cat) | (good zzq): 4 distinct of 5
    expect(guards.distinct2).toBeCloseTo(4 / 5, 12);
    expect(guards.meanLength).toBe(3);
    expect(guards.eosRate).toBeCloseTo(2 / 3, 12);
  });

  it('names an empty input', () => {
    expect(() => qualityGuards([], dictionary)).toThrow(/samples must be a non-empty array/);
  });
});

describe('englishLossFlags', () => {
  const sft = { nllPerToken: 4, realWordRate: 0.9, distinct1: 0.5, distinct2: 0.9, meanLength: 20, eosRate: 0.5 };
  it('flags a method that lost real words, base likelihood or diversity, and nothing else', () => {
    expect(englishLossFlags({ ...sft, realWordRate: 0.87, nllPerToken: 4.4 }, sft)).toEqual([]);
    const flags = englishLossFlags({ ...sft, realWordRate: 0.7, nllPerToken: 5, distinct2: 0.5 }, sft);
    expect(flags).toHaveLength(3);
    expect(flags[0]).toBe('real-word rate 0.700 vs SFT 0.900');
  });
});

describe('englishDictionary', () => {
  it('knows common words and not gibberish', () => {
    const words = englishDictionary();
    expect(words.has('review')).toBe(true);
    expect(words.has('thiky')).toBe(false);
  });
});
