import { describe, expect, it } from 'vitest';
import { EVAL_PREFIX, evalKey, evalPrefixed } from './eval-metrics.js';
import { METRIC_NAMES } from './metric-names.js';

describe('evalKey / evalPrefixed', () => {
  it("spell TRL's eval_ keys, and prefixing twice changes nothing", () => {
    expect(EVAL_PREFIX).toBe('eval_');
    expect(evalKey(METRIC_NAMES.rewardsAccuracies)).toBe('eval_rewards/accuracies');
    expect(evalKey('eval_loss')).toBe('eval_loss');
    const once = evalPrefixed({ loss: 0.5, 'logits/chosen': -1 });
    expect(once).toEqual({ eval_loss: 0.5, 'eval_logits/chosen': -1 });
    expect(evalPrefixed(once)).toEqual(once);
  });
});
