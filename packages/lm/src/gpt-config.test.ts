import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GPT_CONFIG, resolveGPTConfig } from './gpt-config.js';

describe('resolveGPTConfig', () => {
  it('fills defaults, including the embedding lookup by vocabulary size', () => {
    const config = resolveGPTConfig({ vocabSize: 96, dropout: undefined });
    expect(config).toEqual({ ...DEFAULT_GPT_CONFIG, vocabSize: 96, embeddingLookup: 'one-hot' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(resolveGPTConfig({ vocabSize: 4096 }).embeddingLookup).toBe('gather');
    expect(resolveGPTConfig({ vocabSize: 4096, embeddingLookup: 'one-hot' }).embeddingLookup).toBe('one-hot');
  });

  it('names the field, the expectation and the value on error', () => {
    expect(() => resolveGPTConfig({ vocabSize: 96, dModel: 130, nHead: 4 })).toThrow(
      'config.dModel must be divisible by nHead = 4: got 130',
    );
    expect(() => resolveGPTConfig({ vocabSize: 1 })).toThrow(/config\.vocabSize/);
    expect(() => resolveGPTConfig({ vocabSize: 96, dropout: 1 })).toThrow(/config\.dropout/);
    expect(() => resolveGPTConfig({ vocabSize: 96, embeddingLookup: 'table' as never })).toThrow(
      /config\.embeddingLookup/,
    );
    expect(() => resolveGPTConfig({ vocabSize: 96, n_embd: 3 } as never)).toThrow(InvalidArgumentError);
    expect(() => resolveGPTConfig({} as never)).toThrow(/config\.vocabSize/);
  });
});
