import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@dpo-ts/core';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { characterTrigrams, spellingBackoff } from './spelling-backoff.js';

describe('characterTrigrams', () => {
  it('marks the start and end of the word', () => {
    expect([...characterTrigrams('dog')]).toEqual(['^do', 'dog', 'og$']);
    expect([...characterTrigrams('a')]).toEqual(['^a$']);
  });
});

describe('spellingBackoff', () => {
  const tokenizer = CaptionTokenizer.fromCaptions(['red glove', 'melon', 'water wave', 'red heart']);

  it('replaces unknown words by the known word with the most shared trigrams', () => {
    const backoff = spellingBackoff(tokenizer);
    // gloves: ^gl glo lov ove ves es$ (6) vs glove: ^gl glo lov ove ve$ (5); 4 shared: Dice 8/11 = 0.73.
    expect(backoff('Red GLOVES')).toBe('red glove');
    // watermelon (10 trigrams) vs water (5): ^wa wat ate ter shared, 8/15; vs melon (5): mel elo lon on$, 8/15 too:
    // a tie, which goes to the lower id (both seen once, so alphabetical: melon before water).
    expect(backoff('watermelon')).toBe('melon');
    // Nothing alike: stays as it is (the tokenizer then reads it as unknown).
    expect(backoff('postbox')).toBe('postbox');
  });

  it('respects the similarity threshold and validates it', () => {
    expect(spellingBackoff(tokenizer, { minSimilarity: 0.6 })('watermelon heart')).toBe('watermelon heart');
    expect(() => spellingBackoff(tokenizer, { minSimilarity: 2 })).toThrow(InvalidArgumentError);
  });
});
