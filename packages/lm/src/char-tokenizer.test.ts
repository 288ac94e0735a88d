import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';

describe('CharTokenizer', () => {
  const corpus = ['hello world', 'héllo, wörld! 🙂'];
  const tokenizer = CharTokenizer.fromCorpus(corpus);

  it('has the special ids 0..3 and one id per code point, in code-point order', () => {
    expect([tokenizer.padTokenId, tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.unkTokenId]).toEqual([
      0, 1, 2, 3,
    ]);
    const characters = [...new Set(corpus.join(''))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    expect(tokenizer.vocabSize).toBe(4 + characters.length);
    expect(tokenizer.encode(' ')).toEqual([4]); // space is the smallest code point
    expect(tokenizer.encode('🙂')).toEqual([tokenizer.vocabSize - 1]); // one token, the largest
  });

  it('round-trips the corpus and adds BOS/EOS only when asked', () => {
    for (const text of corpus) {
      const ids = tokenizer.encode(text, { addBos: true, addEos: true });
      expect(ids[0]).toBe(1);
      expect(ids.at(-1)).toBe(2);
      expect(ids).toHaveLength(Array.from(text).length + 2);
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.decode([1, ...tokenizer.encode('hello'), 2, 0], { skipSpecialTokens: false })).toBe(
      '<bos>hello<eos><pad>',
    );
  });

  it('applies the unknown-character policy', () => {
    expect(tokenizer.encode('hxy')).toEqual([...tokenizer.encode('h'), 3, 3]);
    expect(tokenizer.decode(tokenizer.encode('hxy'))).toBe('h\uFFFD\uFFFD');
    const skipping = CharTokenizer.fromCorpus(corpus, { unknown: 'skip' });
    expect(skipping.decode(skipping.encode('hxy'))).toBe('h');
    const strict = CharTokenizer.fromCorpus(corpus, { unknown: 'error' });
    expect(() => strict.encode('hex')).toThrow(/at code point 2/);
    expect(() => strict.encode('hex')).toThrow(InvalidArgumentError);
  });

  it('encodes special-token names in text as ordinary characters', () => {
    const withBrackets = CharTokenizer.fromCorpus('<eos>');
    expect(withBrackets.encode('<eos>')).not.toContain(withBrackets.eosTokenId);
  });

  it('round-trips through JSON and rejects bad ids', () => {
    const copy = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    expect(copy.encode(corpus[1]!)).toEqual(tokenizer.encode(corpus[1]!));
    expect(copy.vocabSize).toBe(tokenizer.vocabSize);
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(InvalidArgumentError);
    expect(() => new CharTokenizer(['a', 'a'])).toThrow(/not listed before/);
    expect(() => new CharTokenizer(['ab'])).toThrow(/single Unicode code point/);
  });
});
