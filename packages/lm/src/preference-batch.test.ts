import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { buildPreferenceBatch, tokenizePreferenceExample } from './preference-batch.js';

const TOKENS = { padTokenId: 0, bosTokenId: 1, eosTokenId: 2 };

describe('buildPreferenceBatch', () => {
  it('puts every chosen row first, then every rejected row, sharing the truncated prompt', () => {
    const batch = buildPreferenceBatch(
      [
        { prompt: [10, 11, 12], chosen: [20], rejected: [30, 31] },
        { prompt: [13], chosen: [21, 22, 23], rejected: [] },
      ],
      TOKENS,
      { maxLength: 8, maxPromptLength: 3 },
    );
    expect(batch.numPairs).toBe(2);
    expect(batch.batchSize).toBe(4);
    expect(batch.sequenceLength).toBe(6);
    const rows = Array.from({ length: 4 }, (_, r) => Array.from(batch.inputIds.slice(r * 6, r * 6 + 6)));
    expect(rows).toEqual([
      [1, 11, 12, 20, 2, 0], // chosen 0: prompt keeps its end
      [1, 13, 21, 22, 23, 2], // chosen 1
      [1, 11, 12, 30, 31, 2], // rejected 0
      [1, 13, 2, 0, 0, 0], // rejected 1: empty completion scores its EOS
    ]);
    expect(batch.completionLengths).toEqual([2, 4, 3, 1]);
    expect(Array.from(batch.lossMask.slice(18, 24))).toEqual([0, 0, 1, 0, 0, 0]);
  });

  it('tokenizes text pairs without special tokens', () => {
    const tokenizer = CharTokenizer.fromCorpus('abc');
    const example = tokenizePreferenceExample(tokenizer, { prompt: 'ab', chosen: 'c', rejected: '' });
    expect(example).toEqual({ prompt: tokenizer.encode('ab'), chosen: tokenizer.encode('c'), rejected: [] });
    const batch = buildPreferenceBatch([example], tokenizer, { maxLength: 8 });
    expect(tokenizer.decode(Array.from(batch.inputIds.slice(0, batch.sequenceLength)))).toBe('abc');
  });
});
