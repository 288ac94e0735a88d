import { describe, expect, it } from 'vitest';
import { AFINN_ORACLE, SENTIMENT_ORACLES, VADER_ORACLE } from './oracles.js';

/** VADER's normalisation of a summed valence x. */
const normalise = (x: number): number => x / Math.sqrt(x * x + 15);

describe('VADER_ORACLE', () => {
  it('scores hand-checked sentences from the lexicon and its rules', () => {
    // "great" 3.1, plus 0.292 for one "!"
    expect(VADER_ORACLE.score('The food was great!')).toBeCloseTo(normalise(3.1 + 0.292), 4);
    // negation: 3.1 * -0.74
    expect(VADER_ORACLE.score('The food was not great.')).toBeCloseTo(normalise(-0.74 * 3.1), 4);
    // "terrible" -2.1, "boring" -1.3
    expect(VADER_ORACLE.score('This movie is terrible and boring')).toBeCloseTo(normalise(-2.1 - 1.3), 4);
    expect(VADER_ORACLE.score('The book is on the table.')).toBe(0);
    expect(VADER_ORACLE.score('')).toBe(0);
  });
});

describe('AFINN_ORACLE', () => {
  it('divides the summed AFINN-165 valence by the word count', () => {
    // great +3 over 4 words
    expect(AFINN_ORACLE.score('The food was great!')).toBeCloseTo(3 / 4, 12);
    // terrible -3, boring -3 over 6 words
    expect(AFINN_ORACLE.score('This movie is terrible and boring')).toBeCloseTo(-6 / 6, 12);
    // "like" +2 negated by "not", over 5 words
    expect(AFINN_ORACLE.score('I do not like it')).toBeCloseTo(-2 / 5, 12);
    expect(AFINN_ORACLE.score('The book is on the table.')).toBe(0);
    expect(AFINN_ORACLE.score('')).toBe(0);
  });

  it('is not moved by length alone, where a sum would be', () => {
    expect(AFINN_ORACLE.score('good')).toBe(AFINN_ORACLE.score('good good good'));
  });
});

describe('SENTIMENT_ORACLES', () => {
  it('lists VADER then AFINN, agreeing on the sign of clear sentences', () => {
    expect(SENTIMENT_ORACLES.map((o) => o.name)).toEqual(['VADER', 'AFINN']);
    for (const oracle of SENTIMENT_ORACLES) {
      expect(oracle.score('I love this wonderful phone')).toBeGreaterThan(0);
      expect(oracle.score('Awful, the worst service ever')).toBeLessThan(0);
    }
  });
});
