import { describe, expect, it } from 'vitest';
import { leverCandidates } from './experiment-seed.js';

describe('leverCandidates', () => {
  it('keeps printable tokens no oracle scores, drops sentiment words, blanks and broken bytes', () => {
    const vocabulary = [' and', '!', ' great', ' bad', ' ', '\n', '\uFFFD', ' the', ''];
    const tokenizer = { vocabSize: vocabulary.length, decode: (ids: readonly number[]) => vocabulary[ids[0]!]! };
    expect(leverCandidates(tokenizer)).toEqual([' and', '!', ' the']);
  });
});
