import { jobKey } from '@dpo-ts/queue';
import { describe, expect, it } from 'vitest';
import type { CellResult } from '../harness/cells.js';
import { ZERO_COST } from './compute-cost.js';
import { SENTIMENT_EXPERIMENT_CONFIGS } from './experiment-config.js';
import type { SentimentCell, SentimentCellResult } from './experiment-cells.js';
import { planSentimentCells, planSentimentTestCells, sentimentSeeds } from './experiment-plan.js';
import { fakeBase } from './fake-base.test-helper.js';
import type { MethodMeasurement } from './measure-method.js';
import { experimentMethods } from './method-registry.js';

const config = SENTIMENT_EXPERIMENT_CONFIGS.full;
const methods = experimentMethods(config);
const key = (cell: { payload: unknown }) => jobKey({ kind: 'bench-cell', payload: cell.payload, codeVersion: 'v' });

/** Stage-1 results where each method's validation labeler reward is `score(method, setting index)`. */
function selectionResults(cells: readonly { id: string; payload: unknown }[], score: (m: number, s: number) => number) {
  return cells.map((cell, index): CellResult => {
    const payload = cell.payload as SentimentCell;
    if (payload.method === null)
      return { cell: { ...cell, estimateSeconds: 1 }, result: { kind: 'seed', wallSeconds: 1, cpuSeconds: 1 } };
    const row = methods.findIndex((m) => m.name === payload.method);
    const s = methods[row]!.sweep.findIndex((setting) => setting.label === payload.setting);
    const result: SentimentCellResult = {
      kind: 'setting',
      result: {
        method: payload.method,
        setting: payload.setting!,
        validation: { setting: payload.setting!, labeler: score(row, s), kl: 1, realWordRate: 0.9, flags: [] },
        test: { perPrompt: { labeler: [index], VADER: [0], AFINN: [0] } } as unknown as MethodMeasurement,
        cost: ZERO_COST,
        details: {},
        leverShare: null,
        rewardModel: null,
      },
      wallSeconds: 1,
      cpuSeconds: 1,
    };
    return { cell: { ...cell, estimateSeconds: 1 }, result };
  });
}

describe('sentimentSeeds', () => {
  it('sweeps on the first offered seed and tests on config.seeds fresh seeds after it', () => {
    expect(sentimentSeeds({ seeds: [0, 1, 2, 3, 4] }, { seeds: 5 })).toEqual({ selection: 0, test: [1, 2, 3, 4, 5] });
    expect(sentimentSeeds({ seeds: [7, 8] }, { seeds: 1 })).toEqual({ selection: 7, test: [8] });
  });
});

describe('planSentimentCells', () => {
  it('plans the selection seed: its preparation, then every (method, setting), with unique ids', () => {
    const cells = planSentimentCells({ mode: 'full', seeds: [0, 1, 2, 3, 4] }, { baseDir: fakeBase('w') });
    const settings = methods.reduce((sum, method) => sum + method.sweep.length, 0);
    expect(cells).toHaveLength(1 + settings);
    expect(new Set(cells.map((cell) => cell.id)).size).toBe(cells.length);
    expect(cells.every((cell) => (cell.payload as SentimentCell).seed === 0)).toBe(true);
    expect(cells[0]!.id).toBe('seed=0/prepare');
    expect(cells[1]!.id).toBe('seed=0/DPO beta 0.05/lr 0.0001, beta 0.05');
  });

  it('keys a cell by its inputs: another config or other base weights give another job key', () => {
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

describe('planSentimentTestCells', () => {
  const baseDir = fakeBase('w');
  const context = { mode: 'full' as const, seeds: [0, 1, 2, 3, 4] };
  const stage1 = planSentimentCells(context, { baseDir });
  // The last setting wins for even rows, the first for odd rows.
  const done = selectionResults(stage1, (m, s) => (m % 2 === 0 ? s : -s));

  it('runs every method at the setting the selection seed chose on each fresh test seed', () => {
    const cells = planSentimentTestCells(context, done, { baseDir });
    expect(cells).toHaveLength(config.seeds * (1 + methods.length));
    const seeds = [...new Set(cells.map((cell) => (cell.payload as SentimentCell).seed))];
    expect(seeds).toEqual([1, 2, 3, 4, 5]);
    for (const seed of seeds) {
      const ofSeed = cells.filter((cell) => (cell.payload as SentimentCell).seed === seed);
      expect(ofSeed[0]!.id).toBe(`seed=${seed}/prepare`);
      ofSeed.slice(1).forEach((cell, row) => {
        const sweep = methods[row]!.sweep;
        const expected = row % 2 === 0 ? sweep.at(-1)! : sweep[0]!;
        expect((cell.payload as SentimentCell).setting).toBe(expected.label);
      });
    }
  });

  it('gives a test cell the job key the same cell has in a sweep on that seed (stored cells are reused)', () => {
    const [, first] = planSentimentTestCells(context, done, { baseDir });
    const onSeed1 = planSentimentCells({ mode: 'full', seeds: [1] }, { baseDir });
    const same = onSeed1.find((cell) => cell.id === first!.id)!;
    expect(key(same)).toBe(key(first!));
  });

  it('plans nothing more once a test seed has results', () => {
    const cells = planSentimentTestCells(context, done, { baseDir });
    const stage2 = cells.map((cell) => ({ cell, result: null }));
    expect(planSentimentTestCells(context, [...done, ...stage2], { baseDir })).toEqual([]);
  });

  it('names a method the selection seed has no result for', () => {
    const missing = done.filter((cell) => (cell.cell.payload as SentimentCell).method !== methods[3]!.name);
    expect(() => planSentimentTestCells(context, missing, { baseDir })).toThrow(methods[3]!.name);
  });
});
