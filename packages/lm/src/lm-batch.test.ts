import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { buildLMBatch, lmBatchTensors } from './lm-batch.js';

const TOKENS = { padTokenId: 0, bosTokenId: 1, eosTokenId: 2 };
const rowsOf = (data: ArrayLike<number>, width: number): number[][] =>
  Array.from({ length: data.length / width }, (_, r) => Array.from(data).slice(r * width, (r + 1) * width));

describe('buildLMBatch', () => {
  it('lays out [BOS] prompt completion [EOS] PAD… with the mask on completion + EOS', () => {
    const batch = buildLMBatch(
      [
        { prompt: [10, 11], completion: [20] },
        { prompt: [12], completion: [21, 22, 23] },
      ],
      TOKENS,
      { maxLength: 16 },
    );
    expect(batch.sequenceLength).toBe(6);
    expect(rowsOf(batch.inputIds, 6)).toEqual([
      [1, 10, 11, 20, 2, 0],
      [1, 12, 21, 22, 23, 2],
    ]);
    expect(rowsOf(batch.lossMask, 6)).toEqual([
      [0, 0, 0, 1, 1, 0],
      [0, 0, 1, 1, 1, 1],
    ]);
    expect(batch.promptLengths).toEqual([3, 2]);
    expect(batch.completionLengths).toEqual([2, 4]);
  });

  it('truncates the prompt per truncationMode, then the completion from its end', () => {
    const example = [{ prompt: [10, 11, 12, 13, 14], completion: [20, 21, 22, 23] }];
    // maxPromptLength 3 = BOS + 2 prompt tokens; completion gets maxLength - 3 = 3 tokens, EOS cut.
    const keepEnd = buildLMBatch(example, TOKENS, { maxLength: 6, maxPromptLength: 3 });
    expect(Array.from(keepEnd.inputIds)).toEqual([1, 13, 14, 20, 21, 22]);
    const keepStart = buildLMBatch(example, TOKENS, { maxLength: 6, maxPromptLength: 3, truncationMode: 'keep_start' });
    expect(Array.from(keepStart.inputIds)).toEqual([1, 10, 11, 20, 21, 22]);
    const shortCompletion = buildLMBatch(example, TOKENS, { maxLength: 12, maxCompletionLength: 2 });
    expect(Array.from(shortCompletion.inputIds)).toEqual([1, 10, 11, 12, 13, 14, 20, 21]);
    // Default maxPromptLength = maxLength - 1: the completion keeps one token.
    expect(Array.from(buildLMBatch(example, TOKENS, { maxLength: 4 }).inputIds)).toEqual([1, 13, 14, 20]);
  });

  it('handles empty completions, no BOS/EOS, and constant padding', () => {
    const batch = buildLMBatch([{ prompt: [10], completion: [] }], TOKENS, {
      maxLength: 5,
      addBos: false,
      addEos: false,
      padToMaxLength: true,
    });
    expect(Array.from(batch.inputIds)).toEqual([10, 0, 0, 0, 0]);
    expect(Array.from(batch.lossMask)).toEqual([0, 0, 0, 0, 0]);
    expect(batch.completionLengths).toEqual([0]);
  });

  it('rejects what cannot be scored or laid out', () => {
    expect(() => buildLMBatch([{ prompt: [], completion: [5] }], TOKENS, { maxLength: 5, addBos: false })).toThrow(
      /examples\[0\]\.prompt/,
    );
    expect(() => buildLMBatch([], TOKENS, { maxLength: 5 })).toThrow(InvalidArgumentError);
    expect(() =>
      buildLMBatch([{ prompt: [3], completion: [4] }], TOKENS, { maxLength: 5, maxPromptLength: 5 }),
    ).toThrow(/maxPromptLength/);
    expect(() =>
      buildLMBatch([{ prompt: [3], completion: [4] }], TOKENS, { maxLength: 5, truncationMode: 'left' as never }),
    ).toThrow(/truncationMode/);
  });

  it('makes int32 and float32 tensors the caller owns', async () => {
    const batch = buildLMBatch([{ prompt: [10], completion: [20] }], TOKENS, { maxLength: 5 });
    await expectNoLeak(() => {
      const { inputIds, lossMask } = lmBatchTensors(batch);
      expect([inputIds.dtype, lossMask.dtype, ...inputIds.shape]).toEqual(['int32', 'float32', 1, 4]);
      tf.dispose([inputIds, lossMask]);
    });
  });
});
