import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@dpo-ts/core';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { WordNetNouns } from '../text-to-image/wordnet-nouns.js';
import { CAPTION_COVERAGE_GROUPS, captionCoverage } from './caption-coverage.js';

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

  it('with WordNet features (version 2): a caption whose unseen words WordNet places is its own group, wordnet', async () => {
    const wordnet = await WordNetNouns.loadShared();
    const v2 = CaptionTokenizer.fromCaptions(['red squid', 'tropical fish'], {
      hypernyms: { wordnet, featuresPerWord: 4 },
    });
    // octopus: unseen, but a cephalopod like squid; "zxqv" has no feature at all.
    expect(captionCoverage(v2, ['red squid', 'red octopus', 'octopus', 'octopus zxqv', 'zxqv', ''], 12)).toEqual([
      'known',
      'wordnet',
      'wordnet',
      'partly-known',
      'unknown',
      'known',
    ]);
    expect(() => captionCoverage(v2, ['red'], 6)).toThrow(/maxLength must be a multiple of featuresPerWord \(4\)/);
    expect(CAPTION_COVERAGE_GROUPS).toEqual(['known', 'wordnet', 'partly-known', 'unknown']);
  });
});
