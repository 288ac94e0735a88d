/**
 * `@dpo-ts/core`: the preference-optimization core of dpo-ts. One score interface for every
 * modality ({@link PreferenceScorer}), DPO loss variants with TRL's names, metrics, preference
 * data, backend selection with wasm training fixes, the training loop and checkpoints.
 * @packageDocumentation
 */
import './register-all-gradients.js';
export * from './errors/index.js';
export * from './surrogate/index.js';
export type {
  PreferenceLossType,
  PreferenceLossOptions,
  PreferenceLossState,
  PreferenceLossContext,
  PreferenceLoss,
} from './losses/preference-loss.js';
export * from './losses/index.js';
export * from './metrics/index.js';
export * from './data/index.js';
export * from './backend/index.js';
export * from './training/index.js';
export * from './io/index.js';
export * from './preference/index.js';
export * from './parallel/index.js';
