/**
 * `@dpo-ts/core`: the preference-optimization core of dpo-ts. The main entry holds what defines
 * and scores preferences: the score interface every modality implements ({@link PreferenceScorer},
 * {@link PairScores}), every DPO loss variant under TRL's names with {@link computePreferenceLoss},
 * the TRL-named metrics ({@link METRIC_NAMES}) and their computation, and the errors.
 *
 * The rest lives behind subpath exports, each with its own page:
 * `@dpo-ts/core/training` (AdamW, schedules, the training loop, checkpoints),
 * `@dpo-ts/core/preference` (the preference trainer, reference models and caches),
 * `@dpo-ts/core/data` (preference JSONL, field codecs, batching), `@dpo-ts/core/backend`
 * (backend selection, wasm gradient and kernel overrides), `@dpo-ts/core/io` (atomic files,
 * named weights, saved models), `@dpo-ts/core/parallel` (worker-thread gradients and sampling)
 * and `@dpo-ts/core/testing` (test helpers).
 *
 * Importing this entry (or training, preference, backend, parallel, testing) registers tfjs-core's
 * gradients once, for the whole process.
 * @packageDocumentation
 * @module main
 */
import './register-all-gradients.js';
export * from './errors/index.js';
export * from './surrogate/index.js';
export * from './losses/index.js';
export * from './metrics/index.js';
