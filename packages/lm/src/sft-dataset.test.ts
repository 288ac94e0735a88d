import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { buildSFTBatch, packSFTRows, scoredTokenCount, tokenizeSFTRecords } from './sft-dataset.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh ']);
const enc = (text: string): number[] => tokenizer.encode(text);
const [BOS, EOS, PAD] = [tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.padTokenId];

describe('tokenizeSFTRecords', () => {
  it('masks the prompt of prompt-completion records and scores the completion and EOS', () => {
    const [row] = tokenizeSFTRecords([{ prompt: 'ab', completion: 'cd' }], tokenizer, { maxLength: 16 });
    expect(row!.inputIds).toEqual([BOS, ...enc('ab'), ...enc('cd'), EOS]);
    expect(row!.lossMask).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('scores every token after BOS of text records, and of prompts without completionOnlyLoss', () => {
    const [text] = tokenizeSFTRecords([{ text: 'abc' }], tokenizer, { maxLength: 16 });
    expect(text!.inputIds).toEqual([BOS, ...enc('abc'), EOS]);
    expect(text!.lossMask).toEqual([0, 1, 1, 1, 1]);
    const [whole] = tokenizeSFTRecords([{ prompt: 'ab', completion: 'c' }], tokenizer, {
      maxLength: 16,
      completionOnlyLoss: false,
    });
    expect(whole!.lossMask).toEqual([0, 1, 1, 1, 1]);
  });

  it('truncates like buildLMBatch: the prompt keeps its end, the completion loses its end', () => {
    const [row] = tokenizeSFTRecords([{ prompt: 'abcdef', completion: 'gh' }], tokenizer, {
      maxLength: 6,
      maxPromptLength: 4,
    });
    expect(row!.inputIds).toEqual([BOS, ...enc('def'), ...enc('gh')]); // EOS cut off
    expect(row!.lossMask).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('names the bad record', () => {
    expect(() => tokenizeSFTRecords([{ text: 'a' }, { prompt: 'a' } as never], tokenizer, { maxLength: 8 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => tokenizeSFTRecords([{ text: 'a' }, { prompt: 'a' } as never], tokenizer, { maxLength: 8 })).toThrow(
      /records\[1\]/,
    );
  });
});

describe('packSFTRows', () => {
  it('concatenates rows in order and cuts fixed windows, keeping the mask; deterministic', () => {
    const rows = tokenizeSFTRecords([{ text: 'abc' }, { text: 'de' }, { prompt: 'f', completion: 'g' }], tokenizer, {
      maxLength: 4,
      packing: true,
    });
    const stream = [BOS, ...enc('abc'), EOS, BOS, ...enc('de'), EOS, BOS, ...enc('f'), ...enc('g'), EOS];
    // 13 tokens: three windows of 4; the last token alone has nothing to predict and is dropped.
    expect(rows.map((row) => row.inputIds)).toEqual([stream.slice(0, 4), stream.slice(4, 8), stream.slice(8, 12)]);
    expect(rows.flatMap((row) => row.lossMask)).toEqual([0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1]);
    expect(packSFTRows(rows, 4)).toEqual(rows);
  });

  it('drops a final window with nothing to predict', () => {
    const windows = packSFTRows([{ inputIds: [5, 6, 7, 8, 9], lossMask: [1, 1, 1, 1, 1] }], 4);
    expect(windows.map((w) => w.inputIds)).toEqual([[5, 6, 7, 8]]);
  });
});

describe('buildSFTBatch', () => {
  it('right-pads with PAD and mask 0, and counts scored tokens after column 0', () => {
    const batch = buildSFTBatch(
      [
        { inputIds: [BOS, 5, 6], lossMask: [0, 1, 1] },
        { inputIds: [BOS, 7], lossMask: [1, 1] },
      ],
      PAD,
    );
    expect(Array.from(batch.inputIds)).toEqual([BOS, 5, 6, BOS, 7, PAD]);
    expect(Array.from(batch.lossMask)).toEqual([0, 1, 1, 1, 1, 0]);
    expect(batch.promptLengths).toEqual([1, 0]);
    expect(batch.completionLengths).toEqual([2, 2]);
    expect(scoredTokenCount(batch)).toBe(3); // column 0 is never a target
  });
});
