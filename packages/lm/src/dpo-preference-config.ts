import { flattenPreferenceTrainerConfig, type PreferenceTrainerConfig } from '@dpo-ts/core';
import type { ResolvedDPOConfig } from './dpo-config.js';

/**
 * The flat `PreferenceTrainerConfig` core's `PreferenceTrainer` takes, from a resolved DPO
 * config (whose loss fields are nested under `preference.loss`).
 */
export function toPreferenceTrainerConfig(config: ResolvedDPOConfig): PreferenceTrainerConfig {
  return flattenPreferenceTrainerConfig(config.preference);
}
