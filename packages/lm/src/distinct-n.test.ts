import { describe, expect, it } from 'vitest';
import { distinctN } from './distinct-n.js';

describe('distinctN', () => {
  const sequences = [
    ['a', 'b', 'a', 'b'],
    ['a', 'b'],
  ];

  it('pools n-grams over sequences without crossing their boundaries (hand-counted)', () => {
    // unigrams: 6, of 2 kinds
    expect(distinctN(sequences, 1)).toEqual({ rate: 2 / 6, distinct: 2, total: 6 });
    // bigrams: ab ba ab | ab -> 4, of 2 kinds ("b a" across the boundary is not counted)
    expect(distinctN(sequences, 2)).toEqual({ rate: 2 / 4, distinct: 2, total: 4 });
    // trigrams: aba bab | none -> 2, of 2 kinds
    expect(distinctN(sequences, 3)).toEqual({ rate: 1, distinct: 2, total: 2 });
  });

  it('keeps tokens apart that a space join would merge, and takes token ids', () => {
    expect(
      distinctN(
        [
          ['a b', 'c'],
          ['a', 'b c'],
        ],
        2,
      ).distinct,
    ).toBe(2);
    expect(distinctN([[5, 7, 5, 7]], 2)).toEqual({ rate: 2 / 3, distinct: 2, total: 3 });
  });

  it('is NaN when every sequence is shorter than n, and validates n', () => {
    expect(distinctN([['a', 'b']], 3).rate).toBeNaN();
    expect(() => distinctN(sequences, 0)).toThrow('n must be an integer >= 1: got 0');
  });
});
