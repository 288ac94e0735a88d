/**
 * Preference losses: every TRL `loss_type` as a {@link PreferenceLoss}, the registry, the loss
 * config, and {@link computePreferenceLoss}, which turns policy and reference scores into the
 * weighted loss and the rewards trainers log.
 */
export type {
  PreferenceLoss,
  PreferenceLossContext,
  PreferenceLossOptions,
  PreferenceLossState,
  PreferenceLossType,
} from './preference-loss.js';

export { sigmoidLoss } from './sigmoid-loss.js';
export { robustLoss } from './robust-loss.js';
export { ipoLoss } from './ipo-loss.js';
export { hingeLoss } from './hinge-loss.js';
export { exoPairLoss, EXO_DEFAULT_EPSILON } from './exo-pair-loss.js';
export { ncaPairLoss } from './nca-pair-loss.js';
export { bcoPairLoss } from './bco-pair-loss.js';
export { sppoHardLoss } from './sppo-hard-loss.js';
export { aotLoss } from './aot-loss.js';
export { aotUnpairedLoss } from './aot-unpaired-loss.js';
export { apoZeroLoss } from './apo-zero-loss.js';
export { apoDownLoss } from './apo-down-loss.js';
export { discopopLoss, DISCOPOP_MAX_EXPONENT } from './discopop-loss.js';
export { sigmoidNormLoss } from './sigmoid-norm-loss.js';
export { sftLoss } from './sft-loss.js';

export { PREFERENCE_LOSSES, PREFERENCE_LOSS_TYPES, getPreferenceLoss, isPreferenceLossType } from './registry.js';
export {
  DEFAULT_PREFERENCE_LOSS_CONFIG,
  PREFERENCE_LOSS_CONFIG_FIELDS,
  resolvePreferenceLossConfig,
  type PreferenceLossConfig,
  type ResolvedPreferenceLossConfig,
} from './preference-loss-config.js';
export {
  createPreferenceLossState,
  updatePreferenceLossState,
  updatePreferenceLossStateFromRewards,
} from './preference-loss-state.js';
export { computePreferenceLoss, type PreferenceLossResult } from './compute-preference-loss.js';
export { stopGradient } from './loss-ops.js';
