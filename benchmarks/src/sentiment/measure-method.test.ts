import { describe, expect, it } from 'vitest';
import { perPromptMeans, SCORE_NAMES } from './measure-method.js';

describe('perPromptMeans', () => {
  it('averages each prompt-major group of samples', () => {
    expect(perPromptMeans([1, 2, 3, 4, 10, 20, 30, 40], 4)).toEqual([2.5, 25]);
    expect(perPromptMeans([], 4)).toEqual([]);
    expect(() => perPromptMeans([1, 2, 3], 2)).toThrow(/not a multiple of groupSize 2/);
  });

  it('scores with the labeler and both oracles', () => {
    expect(SCORE_NAMES).toEqual(['labeler', 'VADER', 'AFINN']);
  });
});
