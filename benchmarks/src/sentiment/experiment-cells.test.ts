import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { jobKey } from '@dpo-ts/queue';
import { describe, expect, it } from 'vitest';
import { SENTIMENT_EXPERIMENT_CONFIGS } from './experiment-config.js';
import {
  baseModelFingerprint,
  planSentimentCells,
  type SentimentCell,
  validateSentimentCell,
} from './experiment-cells.js';
import { experimentMethods } from './method-registry.js';

function fakeBase(weights: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sentiment-base-'));
  for (const file of ['config.json', 'manifest.json', 'tokenizer.json']) writeFileSync(join(dir, file), '{}');
  writeFileSync(join(dir, 'weights.bin'), weights);
  return dir;
}

describe('planSentimentCells', () => {
  it('plans, per seed, its preparation then every (method, setting), seed-major with unique ids', () => {
    const config = SENTIMENT_EXPERIMENT_CONFIGS.full;
    const baseDir = fakeBase('w');
    const cells = planSentimentCells({ mode: 'full', seeds: [0, 1, 2, 3, 4, 5] }, { baseDir });
    const settings = experimentMethods(config).reduce((sum, method) => sum + method.sweep.length, 0);
    // Five seeds (the config's count, not the six given), each 1 preparation + every setting.
    expect(cells).toHaveLength(5 * (1 + settings));
    expect(new Set(cells.map((cell) => cell.id)).size).toBe(cells.length);
    const seeds = cells.map((cell) => (cell.payload as SentimentCell).seed);
    expect(seeds).toEqual([...seeds].sort((a, b) => a - b));
    expect(cells[0]!.id).toBe('seed=0/prepare');
    expect(cells[1]!.id).toBe('seed=0/DPO beta 0.05/lr 0.0001, beta 0.05');
    for (const cell of cells) expect(validateSentimentCell(cell.payload)).toBe(cell.payload);
  });

  it('keys a cell by its inputs: another config or other base weights give another job key', () => {
    const key = (cell: { payload: unknown }) => jobKey({ kind: 'bench-cell', payload: cell.payload, codeVersion: 'v' });
    const baseDir = fakeBase('w1');
    const [quick] = planSentimentCells({ mode: 'quick', seeds: [0] }, { baseDir });
    const [again] = planSentimentCells({ mode: 'quick', seeds: [0] }, { baseDir });
    const [smoke] = planSentimentCells({ mode: 'smoke', seeds: [0] }, { baseDir });
    const [otherWeights] = planSentimentCells({ mode: 'quick', seeds: [0] }, { baseDir: fakeBase('w2') });
    expect(key(again!)).toBe(key(quick!));
    expect(key(smoke!)).not.toBe(key(quick!));
    expect((otherWeights!.payload as SentimentCell).base.sha256).not.toBe(
      (quick!.payload as SentimentCell).base.sha256,
    );
  });
});

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
