import type { Metrics } from './metric-names.js';

/** The prefix of evaluation metrics, transformers' `metric_key_prefix` default. */
export const EVAL_PREFIX = 'eval_';

/**
 * The key an evaluation metric carries: `eval_` + its {@link METRIC_NAMES} name
 * (`evalKey(METRIC_NAMES.rewardsAccuracies)` is `'eval_rewards/accuracies'`), as TRL logs it.
 */
export function evalKey(name: string): string {
  return name.startsWith(EVAL_PREFIX) ? name : `${EVAL_PREFIX}${name}`;
}

/**
 * `eval_`-prefixed copies of evaluation metrics, TRL's convention (`eval_loss`,
 * `eval_rewards/accuracies`); keys that already carry the prefix are kept as they are, so
 * prefixing twice changes nothing. Every trainer's `evaluate()` returns its metrics through it,
 * and `train()`'s periodic evaluation logs what `evaluate()` returned.
 */
export function evalPrefixed(metrics: Readonly<Metrics>): Metrics {
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [evalKey(key), value]));
}
