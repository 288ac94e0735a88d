import { describe, expect, it } from 'vitest';
import { CAPTION_PAD_ID, CAPTION_UNKNOWN_ID, CaptionTokenizer } from './caption-tokenizer.js';
import { WordNetNouns } from './wordnet-nouns.js';

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

describe('CaptionTokenizer version 2 (WordNet hypernym features)', () => {
  // animal <- fish <- puffer (blowfish); animal <- cephalopod <- squid, octopus.
  const wordnet = WordNetNouns.parse(
    [
      'animal n 1 0 1 0 00000100',
      'fish n 1 1 @ 1 0 00000200',
      'blowfish n 1 1 @ 1 0 00000300',
      'cephalopod n 1 1 @ 1 0 00000400',
      'squid n 1 1 @ 1 0 00000500',
      'octopus n 1 1 @ 1 0 00000600',
    ].join('\n'),
    [
      '00000100 03 n 01 animal 0 000 | a living organism',
      '00000200 05 n 01 fish 0 001 @ 00000100 n 0000 | a cold-blooded vertebrate',
      '00000300 05 n 01 blowfish 0 001 @ 00000200 n 0000 | a fish that inflates',
      '00000400 05 n 01 cephalopod 0 001 @ 00000100 n 0000 | a mollusk',
      '00000500 05 n 01 squid 0 001 @ 00000400 n 0000 | ten arms',
      '00000600 05 n 01 octopus 0 001 @ 00000400 n 0000 | eight arms',
    ].join('\n'),
  );
  const captions = ['tropical fish', 'squid', 'fish cake'];
  const tokenizer = CaptionTokenizer.fromCaptions(captions, { hypernyms: { wordnet, featuresPerWord: 4 } });

  it('gives an unseen word the synsets it shares with seen words, and unknown only when it has none', () => {
    // Words: fish (2), cake, squid, tropical -> ids 2..5; synsets by caption-word count:
    // animal (fish x2 + squid = 3), fish (2), cephalopod (1), squid (1) -> ids 6..9.
    expect(tokenizer.words).toEqual(['fish', 'cake', 'squid', 'tropical']);
    expect(tokenizer.vocabSize).toBe(2 + 4 + 4);
    expect(tokenizer.featuresPerWord).toBe(4);
    expect(tokenizer.wordFeatures('fish')).toEqual([2, 7, 6]); // word, fish synset, animal
    expect(tokenizer.wordFeatures('squid')).toEqual([4, 9, 8, 6]);
    // Hand-checked: the unseen blowfish shares the fish synset and animal with "fish".
    expect(tokenizer.wordFeatures('blowfish')).toEqual([7, 6]); // its own synset was never seen
    expect(tokenizer.wordFeatures('octopus')).toEqual([8, 6]); // cephalopod, animal: as squid
    expect(tokenizer.wordFeatures('dango')).toEqual([CAPTION_UNKNOWN_ID]);
    expect(Array.from(tokenizer.encode('Blowfish dango', 12))).toEqual([7, 6, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(tokenizer.encode('squid squid squid squid', 8))).toEqual([4, 9, 8, 6, 4, 9, 8, 6]);
  });

  it('round-trips through JSON (version 2) with WordNet and refuses bad input', () => {
    const json = JSON.parse(JSON.stringify(tokenizer.toJSON()));
    expect(json).toMatchObject({
      version: 2,
      featuresPerWord: 4,
      hypernyms: { senses: 3, synsets: [100, 200, 400, 500] },
    });
    const copy = CaptionTokenizer.fromJSON(json, 'tok.json', { wordnet });
    const probe = ['octopus blowfish', 'tropical fish cake', 'dango'];
    expect(copy.encodeBatch(probe, 12)).toEqual(tokenizer.encodeBatch(probe, 12));
    expect(() => CaptionTokenizer.fromJSON(json, 'tok.json')).toThrow(/options\.wordnet must be WordNet nouns/);
    expect(() => CaptionTokenizer.fromJSON({ ...json, featuresPerWord: 1 }, 'tok.json', { wordnet })).toThrow(
      /tok\.json: a version 2 caption tokenizer needs featuresPerWord >= 2/,
    );
    expect(() => tokenizer.encode('fish', 6)).toThrow(/maxLength must be a multiple of featuresPerWord \(4\): got 6/);
    expect(() => CaptionTokenizer.fromCaptions(captions, { hypernyms: { wordnet, senses: 0 } })).toThrow(
      /hypernyms\.senses must be/,
    );
  });
});
