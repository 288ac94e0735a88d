import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { PreferenceLossConfig } from './preference-loss-config.js';
import { DEFAULT_PREFERENCE_LOSS_CONFIG, resolvePreferenceLossConfig } from './preference-loss-config.js';

describe('resolvePreferenceLossConfig', () => {
  it("fills in TRL's defaults", () => {
    const config = resolvePreferenceLossConfig();
    expect(config).toEqual({
      beta: 0.1,
      lossType: ['sigmoid'],
      lossWeights: [1],
      referenceFree: false,
      labelSmoothing: 0,
      ipoNormalizeLength: true,
      discopopTau: 0.05,
      simpoGamma: 0,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.lossType)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PREFERENCE_LOSS_CONFIG)).toBe(true);
  });

  it('merges a partial config, treats undefined as absent and is idempotent', () => {
    const config = resolvePreferenceLossConfig({
      beta: 2,
      lossType: ['sigmoid', 'sft'],
      lossWeights: [1, 0.5],
      simpoGamma: undefined,
    });
    expect(config.lossType).toEqual(['sigmoid', 'sft']);
    expect(config.lossWeights).toEqual([1, 0.5]);
    expect(config.simpoGamma).toBe(0);
    expect(resolvePreferenceLossConfig(config)).toEqual(config);
    expect(resolvePreferenceLossConfig({ lossType: ['ipo', 'hinge'] }).lossWeights).toEqual([1, 1]);
  });

  it('names the field, the expectation and the value in every message', () => {
    const cases: [Partial<PreferenceLossConfig>, string][] = [
      [{ beta: -1 }, 'beta must be a finite number >= 0: got -1'],
      [{ beta: NaN }, 'beta must be a finite number >= 0: got NaN'],
      [{ beta: 0, lossType: 'ipo' }, 'beta must be a finite number > 0 when lossType includes "ipo": got 0'],
      [
        { beta: 0, lossType: ['sigmoid', 'sppo_hard'] },
        'beta must be a finite number > 0 when lossType includes "sppo_hard": got 0',
      ],
      [{ lossType: [] }, 'lossType must be a loss type name or a non-empty array of them: got []'],
      [
        { lossType: ['sigmoid', 'sigmoid'] },
        'lossType must be an array without repeated loss types: got ["sigmoid","sigmoid"] ("sigmoid" repeats)',
      ],
      [
        { lossType: ['sigmoid', 'hinge'], lossWeights: [1] },
        'lossWeights must have one entry per lossType: got 1 weight for 2 loss types',
      ],
      [{ lossWeights: [1, 2] }, 'lossWeights must have one entry per lossType: got 2 weights for 1 loss type'],
      [{ lossWeights: [-1] }, 'lossWeights[0] must be a finite number >= 0: got -1'],
      [{ labelSmoothing: 0.5 }, 'labelSmoothing must be a finite number >= 0 and < 0.5: got 0.5'],
      [{ discopopTau: 0 }, 'discopopTau must be a finite number > 0: got 0'],
      [{ simpoGamma: Infinity }, 'simpoGamma must be a finite number: got Infinity'],
    ];
    for (const [partial, message] of cases) {
      expect(() => resolvePreferenceLossConfig(partial), message).toThrow(InvalidArgumentError);
      expect(() => resolvePreferenceLossConfig(partial)).toThrow(message);
    }
  });

  it('rejects unknown loss types, unknown fields and wrong types (for JavaScript callers)', () => {
    const loose = resolvePreferenceLossConfig as (partial: unknown) => unknown;
    expect(() => loose({ lossType: ['sigmoid', 'kto'] })).toThrow(
      /^lossType\[1\] must be one of "sigmoid", .*: got "kto"$/,
    );
    expect(() => loose({ lossType: 'aot_pair' })).toThrow(/use "aot_unpaired"/);
    expect(() => loose({ lossTypes: ['sigmoid'] })).toThrow(
      'config must be an object with only the fields beta, lossType, lossWeights, referenceFree, labelSmoothing, ' +
        'ipoNormalizeLength, discopopTau, simpoGamma: got "lossTypes"',
    );
    expect(() => loose({ referenceFree: 'yes' })).toThrow('referenceFree must be a boolean: got "yes"');
    expect(() => loose({ ipoNormalizeLength: 1 })).toThrow('ipoNormalizeLength must be a boolean: got 1');
    expect(() => loose({ lossWeights: 1 })).toThrow('lossWeights must be an array of numbers: got 1');
    expect(() => loose(null)).toThrow('config must be an object: got null');
  });
});
