import { describe, expect, it } from 'vitest';
import { countLever, findLevers, leverCandidates, leverShareOfGain, leverUse, removeLevers } from './gaming-check.js';

// A labeler with known levers: +1 per "and" word, +0.5 per "!", -0.25 per "?".
const labeler = (prompt: string, completion: string): number => {
  const text = prompt + completion;
  return (
    (text.match(/\band\b/gi)?.length ?? 0) +
    0.5 * (text.match(/!/g)?.length ?? 0) -
    0.25 * (text.match(/\?/g)?.length ?? 0)
  );
};

describe('findLevers', () => {
  it('ranks appended strings by their mean effect on the labeler', () => {
    const samples = [
      { prompt: 'The food', completion: ' was fine' },
      { prompt: 'It', completion: ' is a band' },
    ];
    const levers = findLevers(samples, labeler, ['!', ' and', ' the', '?', ' and']);
    expect(levers.map((l) => l.text)).toEqual([' and', '!', ' the', '?']);
    expect(levers[0]).toEqual({ text: ' and', meanDelta: 1, shareRaised: 1 });
    expect(levers[1]!.meanDelta).toBe(0.5);
    expect(levers[2]).toEqual({ text: ' the', meanDelta: 0, shareRaised: 0 });
    expect(levers[3]!.meanDelta).toBe(-0.25);
  });
});

describe('countLever, leverUse and removeLevers', () => {
  it('counts words as whole words and punctuation as substrings', () => {
    expect(countLever('And the band and more and', ' and')).toBe(3);
    expect(countLever('great!! really!', '!')).toBe(3);
    expect(countLever('anything', ' ')).toBe(0);
  });

  it('gives occurrences per completion and the ratio to SFT', () => {
    const use = leverUse(['a and b!', 'and and'], ['x and', 'y'], [' and', '!', '?']);
    // method: 3 "and" over 2 completions; SFT: 1 over 2
    expect(use[0]).toEqual({ text: ' and', perCompletion: 1.5, sftPerCompletion: 0.5, ratio: 3 });
    expect(use[1]).toEqual({ text: '!', perCompletion: 0.5, sftPerCompletion: 0, ratio: Infinity });
    expect(use[2]!.ratio).toBe(1);
  });

  it('deletes the levers', () => {
    expect(removeLevers('good and fine! and', [' and', '!'])).toBe('good fine');
    expect(removeLevers('a band', [' and'])).toBe('a band');
  });
});

describe('leverShareOfGain', () => {
  it('is the share of the gain that deleting the levers removes', () => {
    // Method samples score 1 + 0.5 and 0 (mean 0.75); SFT mean 0.25: gain 0.5.
    // Without levers both score 0: gain -0.25, so the levers carry (0.5 + 0.25) / 0.5 = 1.5.
    const samples = [
      { prompt: 'It', completion: ' was good and fine!' },
      { prompt: 'It', completion: ' was ok' },
    ];
    const result = leverShareOfGain(samples, 0.25, labeler, [' and', '!']);
    expect(result.gain).toBeCloseTo(0.5, 12);
    expect(result.gainWithoutLevers).toBeCloseTo(-0.25, 12);
    expect(result.share).toBeCloseTo(1.5, 12);
  });
});

describe('leverCandidates', () => {
  it('keeps printable tokens no oracle scores, drops sentiment words, blanks and broken bytes', () => {
    const vocabulary = [' and', '!', ' great', ' bad', ' ', '\n', '\uFFFD', ' the', ''];
    const tokenizer = { vocabSize: vocabulary.length, decode: (ids: readonly number[]) => vocabulary[ids[0]!]! };
    expect(leverCandidates(tokenizer)).toEqual([' and', '!', ' the']);
  });
});
