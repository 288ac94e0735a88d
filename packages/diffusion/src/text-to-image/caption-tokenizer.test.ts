import { describe, expect, it } from 'vitest';
import { CAPTION_PAD_ID, CAPTION_UNKNOWN_ID, CaptionTokenizer } from './caption-tokenizer.js';

const CAPTIONS = ['red apple', 'green apple', 'flag: Egypt', 'grinning face', 'face with tears of joy', 'red heart'];

describe('CaptionTokenizer', () => {
  it('builds a frequency-ordered word vocabulary and pads with 0, unknown words 1', () => {
    const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
    // apple, face and red appear twice (alphabetical among ties), then the rest alphabetically.
    expect(tokenizer.words.slice(0, 3)).toEqual(['apple', 'face', 'red']);
    expect(tokenizer.vocabSize).toBe(2 + 12);
    expect(Array.from(tokenizer.encode('Red APPLE', 4))).toEqual([4, 2, CAPTION_PAD_ID, CAPTION_PAD_ID]);
    expect(Array.from(tokenizer.encode('blue apple pie', 2))).toEqual([CAPTION_UNKNOWN_ID, 2]);
    expect(Array.from(tokenizer.encode('', 2))).toEqual([0, 0]);
    expect(CaptionTokenizer.words('Japanese “application” button')).toEqual(['japanese', 'application', 'button']);
    expect(CaptionTokenizer.fromCaptions(CAPTIONS, { minCount: 2 }).words).toEqual(['apple', 'face', 'red']);
  });

  it('round-trips through JSON and names a bad file', () => {
    const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
    const copy = CaptionTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    expect(Array.from(copy.encodeBatch(CAPTIONS, 5))).toEqual(Array.from(tokenizer.encodeBatch(CAPTIONS, 5)));
    expect(() => CaptionTokenizer.fromJSON({ words: 3 }, 'tok.json')).toThrow(
      /tok\.json: not a dpo-ts\.caption-tokenizer/,
    );
  });
});
