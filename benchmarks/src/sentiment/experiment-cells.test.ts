import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { baseModelFingerprint, type SentimentCell, validateSentimentCell } from './experiment-cells.js';
import { planSentimentCells } from './experiment-plan.js';
import { fakeBase } from './fake-base.test-helper.js';

describe('baseModelFingerprint', () => {
  it('hashes the weights, architecture and tokenizer files', () => {
    expect(baseModelFingerprint(fakeBase('a'))).toBe(baseModelFingerprint(fakeBase('a')));
    expect(baseModelFingerprint(fakeBase('a'))).not.toBe(baseModelFingerprint(fakeBase('b')));
  });
});

describe('validateSentimentCell', () => {
  const [cell] = planSentimentCells({ mode: 'smoke', seeds: [0] }, { baseDir: fakeBase('w') }).slice(1);
  const payload = cell!.payload as SentimentCell;

  it('names the bad field', () => {
    const bad = (change: Partial<SentimentCell>, field: RegExp) => {
      expect(() => validateSentimentCell({ ...payload, ...change })).toThrow(InvalidArgumentError);
      expect(() => validateSentimentCell({ ...payload, ...change })).toThrow(field);
    };
    bad({ seed: -1 }, /cell\.seed/);
    bad({ method: 'SLiC' }, /cell\.method/);
    bad({ setting: 'lr 1' }, /cell\.setting/);
    bad({ base: { dir: null } as unknown as SentimentCell['base'] }, /cell\.base/);
    expect(() => validateSentimentCell(null)).toThrow(/cell/);
  });
});
