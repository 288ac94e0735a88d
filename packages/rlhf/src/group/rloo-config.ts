import { requireBoolean } from '@dpo-ts/core';
import { type GroupConfig, type ResolvedGroupConfig, resolveGroupConfig } from './group-config.js';

/** Settings of the {@link RLOOTrainer}: the shared {@link GroupConfig} plus RLOO's own, TRL's `RLOOConfig` names. */
export interface RLOOConfig extends GroupConfig {
  /** Standardise the leave-one-out advantages over the batch (`normalize_advantages`). @defaultValue false */
  readonly normalizeAdvantages?: boolean;
}

/** A validated {@link RLOOConfig}. */
export type ResolvedRLOOConfig = ResolvedGroupConfig & {
  /** {@inheritDoc RLOOConfig.normalizeAdvantages} */
  readonly normalizeAdvantages: boolean;
};

/** RLOO's own defaults over the shared ones (TRL's `RLOOConfig`). */
export const DEFAULT_RLOO_CONFIG = Object.freeze({
  /** {@inheritDoc GroupConfig.numGenerations} */
  numGenerations: 2,
  /** {@inheritDoc GroupConfig.beta} */
  beta: 0.05,
  /** {@inheritDoc RLOOConfig.normalizeAdvantages} */
  normalizeAdvantages: false,
});

/** Merges `config` over the defaults and validates every field once, naming it on error. */
export function resolveRLOOConfig(config: RLOOConfig): ResolvedRLOOConfig {
  const shared = resolveGroupConfig(config, DEFAULT_RLOO_CONFIG, ['normalizeAdvantages']);
  return Object.freeze({
    ...shared,
    normalizeAdvantages: requireBoolean(
      'config.normalizeAdvantages',
      config.normalizeAdvantages ?? DEFAULT_RLOO_CONFIG.normalizeAdvantages,
    ),
  });
}
