import { describe, expect, it } from 'vitest';
import { afinnSentiment } from './afinn-sentiment.js';

describe('afinnSentiment', () => {
  it('sums AFINN-165 valences, flips negated words, and is 0 for neutral or empty text', () => {
    expect(afinnSentiment('The food was great and the service excellent!').score).toBe(3 + 3); // great +3, excellent +3
    expect(afinnSentiment('This is bad.').score).toBe(-3);
    expect(afinnSentiment('not good').score).toBe(-3); // good +3, negated
    expect(afinnSentiment('The table is wooden.')).toEqual({ score: 0, comparative: 0, positive: [], negative: [] });
    expect(afinnSentiment('')).toEqual({ score: 0, comparative: 0, positive: [], negative: [] });
    expect(afinnSentiment('great').comparative).toBe(3);
  });
});
