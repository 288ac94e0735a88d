import { requireOneOf } from '@dpo-ts/core';
import { SCALE_REWARDS, type ScaleRewards } from './group-advantages.js';
import { type GroupConfig, type ResolvedGroupConfig, resolveGroupConfig } from './group-config.js';
import { GRPO_LOSS_TYPES, type GRPOLossType } from './group-policy-loss.js';

/** Settings of the {@link GRPOTrainer}: the shared {@link GroupConfig} plus GRPO's own, TRL's `GRPOConfig` names. */
export interface GRPOConfig extends GroupConfig {
  /** How the group-centred rewards are scaled (`scale_rewards`). @defaultValue 'group' */
  readonly scaleRewards?: ScaleRewards;
  /** How per-token losses are aggregated (`loss_type`). @defaultValue 'dapo' (TRL's current default) */
  readonly lossType?: GRPOLossType;
}

/** A validated {@link GRPOConfig}. */
export type ResolvedGRPOConfig = ResolvedGroupConfig & {
  /** {@inheritDoc GRPOConfig.scaleRewards} */
  readonly scaleRewards: ScaleRewards;
  /** {@inheritDoc GRPOConfig.lossType} */
  readonly lossType: GRPOLossType;
};

/** GRPO's own defaults over the shared ones (TRL's `GRPOConfig`). */
export const DEFAULT_GRPO_CONFIG = Object.freeze({
  /** {@inheritDoc GroupConfig.numGenerations} */
  numGenerations: 8,
  /** {@inheritDoc GroupConfig.beta} */
  beta: 0,
  /** {@inheritDoc GRPOConfig.scaleRewards} */
  scaleRewards: 'group' as ScaleRewards,
  /** {@inheritDoc GRPOConfig.lossType} */
  lossType: 'dapo' as GRPOLossType,
});

/** Merges `config` over the defaults and validates every field once, naming it on error. */
export function resolveGRPOConfig(config: GRPOConfig): ResolvedGRPOConfig {
  const shared = resolveGroupConfig(config, DEFAULT_GRPO_CONFIG, ['scaleRewards', 'lossType']);
  return Object.freeze({
    ...shared,
    scaleRewards: requireOneOf(
      'config.scaleRewards',
      config.scaleRewards ?? DEFAULT_GRPO_CONFIG.scaleRewards,
      SCALE_REWARDS,
    ),
    lossType: requireOneOf('config.lossType', config.lossType ?? DEFAULT_GRPO_CONFIG.lossType, GRPO_LOSS_TYPES),
  });
}
