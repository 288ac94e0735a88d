import { describe, expect, it } from 'vitest';
import { reviewPrefix } from './frontier-data.js';

describe('reviewPrefix', () => {
  const options = { minWords: 2, maxChars: 24 };
  it('takes the first words, leaving at least one to continue, within the character limit', () => {
    expect(reviewPrefix('The food was great and cheap.', 3, options)).toBe('The food was');
    expect(reviewPrefix('Loved it.', 8, options)).toBeUndefined(); // two words: no strict prefix of two
    expect(reviewPrefix('I really loved it.', 8, options)).toBe('I really loved');
    expect(reviewPrefix('This extraordinarily overlong sentence goes on', 5, options)).toBe('This extraordinarily');
    expect(reviewPrefix('Incomprehensibilities notwithstanding, fine', 2, options)).toBeUndefined();
  });
});
