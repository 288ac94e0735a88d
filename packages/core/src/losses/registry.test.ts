import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import * as losses from './index.js';
import type { PreferenceLossType } from './preference-loss.js';
import { PREFERENCE_LOSSES, PREFERENCE_LOSS_TYPES, getPreferenceLoss, isPreferenceLossType } from './registry.js';

// TRL's loss_type names (1.x DPOConfig, plus sigmoid_norm from PR #5406), spelled out here on
// purpose rather than derived from the registry.
const TRL_NAMES: readonly PreferenceLossType[] = [
  'sigmoid',
  'robust',
  'ipo',
  'hinge',
  'exo_pair',
  'nca_pair',
  'bco_pair',
  'sppo_hard',
  'aot',
  'aot_unpaired',
  'apo_zero',
  'apo_down',
  'discopop',
  'sigmoid_norm',
  'sft',
];

describe('registry', () => {
  it('has exactly one loss per type, each under its own name', () => {
    expect([...PREFERENCE_LOSS_TYPES].sort()).toEqual([...TRL_NAMES].sort());
    for (const type of PREFERENCE_LOSS_TYPES) {
      expect(PREFERENCE_LOSSES[type].type).toBe(type);
      expect(getPreferenceLoss(type)).toBe(PREFERENCE_LOSSES[type]);
      expect(isPreferenceLossType(type)).toBe(true);
    }
    expect(Object.isFrozen(PREFERENCE_LOSSES)).toBe(true);
    expect(Object.isFrozen(PREFERENCE_LOSS_TYPES)).toBe(true);
  });

  it('exports every variant from the barrel', () => {
    const exported = Object.values(losses).filter(
      (value) => typeof value === 'object' && value !== null && 'compute' in value,
    );
    expect(new Set(exported)).toEqual(new Set(Object.values(PREFERENCE_LOSSES)));
  });

  it('rejects unknown names with the list of known ones', () => {
    expect(() => getPreferenceLoss('dpo')).toThrow(InvalidArgumentError);
    expect(() => getPreferenceLoss('dpo')).toThrow(/^type must be one of "sigmoid", "robust", .*"sft": got "dpo"$/);
    expect(() => getPreferenceLoss('toString')).toThrow(InvalidArgumentError);
    expect(isPreferenceLossType('constructor')).toBe(false);
  });

  it("points TRL's deprecated aot_pair to aot_unpaired", () => {
    expect(() => getPreferenceLoss('aot_pair', 'lossType')).toThrow(
      /lossType must be one of .*: got "aot_pair" \(.*use "aot_unpaired"\)/,
    );
  });
});
