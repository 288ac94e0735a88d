import type { JsonValue } from '@dpo-ts/core/training';
import type { CausalLanguageModel } from './causal-lm.js';

/**
 * Configuration fields that change no score of a model run with `training: false` once its
 * weights are given: the initialisation (`seed`, `initStd`) and training-time `dropout`. They
 * are left out of {@link lmModelArchitecture}, so that a reference loaded from the same
 * checkpoint keeps its cache, and a run may resume with another dropout. Every other field is
 * included, so a field a future model adds counts until it is listed here.
 */
export const NON_SCORING_MODEL_CONFIG_FIELDS: readonly string[] = Object.freeze(['seed', 'initStd', 'dropout']);

/**
 * A language model's architecture as JSON: its class, vocabulary size, context length and its
 * `config` (for {@link GPT}: layers, heads, width, layer-norm epsilon, tied weights, embedding
 * lookup) without {@link NON_SCORING_MODEL_CONFIG_FIELDS}. Head count and epsilon do not show in
 * the weights' shapes, which is why reference caches fingerprint this and checkpoints record it
 * (resuming a checkpoint of another architecture is refused, naming the field).
 *
 * A custom model whose scores depend on settings outside its weights must expose them as a
 * JSON-serialisable `config` property; without one only its class name and sizes are covered.
 */
export function lmModelArchitecture(model: CausalLanguageModel): JsonValue {
  const config = (model as Partial<{ config: unknown }>).config;
  const scoring =
    config !== null && typeof config === 'object'
      ? (Object.fromEntries(
          Object.entries(config).filter(([key]) => !NON_SCORING_MODEL_CONFIG_FIELDS.includes(key)),
        ) as JsonValue)
      : null;
  return {
    class: model.constructor?.name ?? 'unknown',
    vocabSize: model.vocabSize,
    contextLength: model.contextLength,
    config: scoring,
  };
}
