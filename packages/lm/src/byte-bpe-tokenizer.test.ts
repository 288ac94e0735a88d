import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { ByteBPETokenizer } from './byte-bpe-tokenizer.js';

describe('ByteBPETokenizer', () => {
  const corpus = [
    'The jury said it did find that many of the laws are outmoded.',
    'The jury further said the election was conducted well; the jury praised the city.',
  ];
  const tokenizer = ByteBPETokenizer.train(corpus, { vocabSize: 300 });

  it('encodes with the hand-computed merges of a tiny corpus', () => {
    const tiny = ByteBPETokenizer.train('aaabdaaabac', { vocabSize: 1000 });
    expect(tiny.numMerges).toBe(3);
    expect(tiny.vocabSize).toBe(256 + 3 + 3);
    expect([tiny.padTokenId, tiny.bosTokenId, tiny.eosTokenId]).toEqual([259, 260, 261]);
    // aa=256, ab=257, (256,257)=258: "aaab" -> [258], "aaaa" -> [256, 256].
    expect(tiny.encode('aaabdaaabac')).toEqual([258, 100, 258, 97, 99]);
    expect(tiny.encode('aaaa')).toEqual([256, 256]);
    expect(tiny.encode('ab', { addBos: true, addEos: true })).toEqual([260, 257, 261]);
  });

  it('compresses the training text and round-trips it', () => {
    for (const text of corpus) {
      const ids = tokenizer.encode(text);
      expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length * 0.7);
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.encode(' jury').length).toBe(1);
  });

  it('round-trips arbitrary Unicode, including unseen scripts, emoji, BOM and NUL', () => {
    const samples = [
      'naïve café ☕',
      '日本語のテキスト',
      '🙂👍🏽 family: 👨‍👩‍👧',
      '\uFEFFstarts with a BOM',
      'a\u0000b\r\n\t',
      '',
    ];
    let state = 12345;
    for (let n = 0; n < 20; n++) {
      let text = '';
      for (let i = 0; i < 30; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const codePoint = state % 0x10ffff;
        if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue; // lone surrogates are not well-formed
        text += String.fromCodePoint(codePoint);
      }
      samples.push(text);
    }
    for (const text of samples) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('decodes special tokens only when asked and rejects bad ids', () => {
    const ids = [tokenizer.bosTokenId, ...tokenizer.encode('hi'), tokenizer.eosTokenId, tokenizer.padTokenId];
    expect(tokenizer.decode(ids)).toBe('hi');
    expect(tokenizer.decode(ids, { skipSpecialTokens: false })).toBe('<|bos|>hi<|endoftext|><|pad|>');
    expect(() => tokenizer.decode([-1])).toThrow(InvalidArgumentError);
    expect(tokenizer.encode('<|endoftext|>')).not.toContain(tokenizer.eosTokenId);
  });

  it('round-trips through JSON and validates merges', () => {
    const copy = ByteBPETokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    expect(copy.vocabSize).toBe(tokenizer.vocabSize);
    expect(copy.encode(corpus[0]!)).toEqual(tokenizer.encode(corpus[0]!));
    expect(() => new ByteBPETokenizer([[0, 256]])).toThrow(InvalidArgumentError);
    expect(
      () =>
        new ByteBPETokenizer([
          [1, 2],
          [1, 2],
        ]),
    ).toThrow(/not merged before/);
    expect(() => ByteBPETokenizer.train('x', { vocabSize: 10 })).toThrow(InvalidArgumentError);
  });
});
