import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@dpo-ts/core';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { captionCoverage } from './caption-coverage.js';

describe('captionCoverage', () => {
  const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'orange book']);

  it('sorts captions by the share of words the tokenizer knows', () => {
    expect(captionCoverage(tokenizer, ['orange apple', 'red watermelon', 'postbox', 'dango postbox', ''], 16)).toEqual([
      'known',
      'partly-known',
      'unknown',
      'unknown',
      'known',
    ]);
  });

  it('reads only the first maxLength words, as the caption encoder does', () => {
    expect(captionCoverage(tokenizer, ['red postbox'], 1)).toEqual(['known']);
    expect(() => captionCoverage(tokenizer, ['red'], 0)).toThrow(InvalidArgumentError);
  });
});
