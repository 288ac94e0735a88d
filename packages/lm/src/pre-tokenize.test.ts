import { describe, expect, it } from 'vitest';
import { preTokenize } from './pre-tokenize.js';

describe('preTokenize', () => {
  it("splits like GPT-2's encoder.py", () => {
    expect(preTokenize("Hello, world's  end")).toEqual(['Hello', ',', ' world', "'s", ' ', ' end']);
    expect(preTokenize('a\n\n b  \t')).toEqual(['a', '\n\n', ' b', '  \t']);
    expect(preTokenize('year 1961.')).toEqual(['year', ' 1961', '.']);
    expect(preTokenize('')).toEqual([]);
  });

  it('loses no character', () => {
    for (const text of ["  it's  ,,, ok?!\n", 'ünïcödé 🙂 日本語 \u0000\uFEFF x']) {
      expect(preTokenize(text).join('')).toBe(text);
    }
  });
});
