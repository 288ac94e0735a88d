import { describe, expect, it } from 'vitest';
import { ZERO_COST } from './compute-cost.js';
import type { MethodMeasurement } from './measure-method.js';
import type { ExperimentMethod } from './method-registry.js';
import { chooseSetting, type SettingResult } from './setting-cell.js';

const measurement = (labeler: number): MethodMeasurement => ({
  perPrompt: { labeler: [labeler], VADER: [0], AFINN: [0] },
  kl: 0,
  klStandardError: 0,
  klSource: 'estimate',
  guards: { nllPerToken: 3, realWordRate: 0.9, distinct1: 0.5, distinct2: 0.8, meanLength: 10, eosRate: 1 },
  samples: [],
  wallSeconds: 0,
});

const result = (setting: string, validation: number | null, flags: string[] = [], wall = 1): SettingResult => ({
  method: 'M',
  setting,
  validation: validation === null ? null : { setting, labeler: validation, kl: 1, realWordRate: 0.9, flags },
  test: measurement(10 * (validation ?? 0)),
  cost: { ...ZERO_COST, wallSeconds: wall },
  details: { loss: validation ?? 0 },
  leverShare: null,
  rewardModel: null,
});

const method = { name: 'M', labelQueries: 32, sweep: [], uses: [] } as unknown as ExperimentMethod;

describe('chooseSetting', () => {
  it('takes the best validation labeler among settings that keep their English, reports its test', () => {
    const chosen = chooseSetting(method, [
      result('a', 0.1, [], 1),
      result('b', 0.5, ['real-word rate -0.2'], 2),
      result('c', 0.3, [], 4),
    ]);
    expect(chosen.chosen).toBe('c');
    expect(chosen.test.perPrompt.labeler).toEqual([3]);
    expect(chosen.details).toEqual({ loss: 0.3 });
    expect(chosen.cost.wallSeconds).toBe(4);
    expect(chosen.sweepCost.wallSeconds).toBe(7);
    expect(chosen.validation.map((v) => v.setting)).toEqual(['a', 'b', 'c']);
    expect(chosen.leverShare).toBeNaN();
  });

  it('falls back to the best flagged setting when every one lost English, and keeps the first of a tie', () => {
    expect(chooseSetting(method, [result('a', 0.1, ['x']), result('b', 0.4, ['y'])]).chosen).toBe('b');
    expect(chooseSetting(method, [result('a', 0.2), result('b', 0.2)]).chosen).toBe('a');
  });

  it('takes the only setting of a method without a sweep (no validation measured)', () => {
    const chosen = chooseSetting(method, [result('N 4', null)]);
    expect(chosen.chosen).toBe('N 4');
    expect(chosen.validation).toEqual([]);
  });

  it('names the method when it has no result', () => {
    expect(() => chooseSetting(method, [])).toThrow(/M: no setting result/);
  });
});
