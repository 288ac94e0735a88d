import { describe, expect, it } from 'vitest';
import { fnv1a, splitByDocument, toPassages, type CorpusDocument } from './base-corpus.js';

describe('fnv1a', () => {
  it('matches the published 32-bit FNV-1a test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});

describe('splitByDocument', () => {
  const docs: CorpusDocument[] = Array.from({ length: 200 }, (_, i) => ({
    id: `brown/c${i}`,
    source: 'brown',
    text: `text ${i}`,
  }));

  it('holds out by id, whatever the order, and keeps every document once', () => {
    const { train, heldOut } = splitByDocument(docs, 0.1, 0);
    const reversed = splitByDocument([...docs].reverse(), 0.1, 0);
    expect(new Set(reversed.heldOut.map((d) => d.id))).toEqual(new Set(heldOut.map((d) => d.id)));
    expect(train.length + heldOut.length).toBe(200);
    for (const doc of heldOut) expect(fnv1a(`0:${doc.id}`) % 1000).toBeLessThan(100);
    for (const doc of train) expect(fnv1a(`0:${doc.id}`) % 1000).toBeGreaterThanOrEqual(100);
  });
});

describe('toPassages', () => {
  it('keeps paragraphs and cuts long ones after a sentence end', () => {
    expect(toPassages('One.\n\n  Two  words.\n', 100)).toEqual(['One.', 'Two words.']);
    // 11 characters at most: 'Ccc ddd. Eee' (12) is still too long, so it is cut again
    expect(toPassages('Aaa bbb. Ccc ddd. Eee', 11)).toEqual(['Aaa bbb.', 'Ccc ddd.', 'Eee']);
  });

  it('falls back to the last space, then to a hard cut', () => {
    expect(toPassages('aaaa bbbb cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
    expect(toPassages('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});
