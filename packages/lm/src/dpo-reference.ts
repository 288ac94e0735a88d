import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  ReferenceScoreCache,
  referenceScores,
  type Checkpointable,
  type ReferenceSource,
  type ScoreReduction,
} from '@dpo-ts/core';
import type { CausalLanguageModel } from './causal-lm.js';
import { buildDPOBatch, type DPOBatch, type TokenizedPreferenceDataset } from './dpo-dataset.js';
import type { BatchSpecialTokens } from './lm-batch.js';
import { lmReferenceFingerprint } from './lm-reference-fingerprint.js';

/** What {@link precomputeReferenceScores} did. */
export interface ReferencePrecomputation {
  /** Pairs scored by the reference model now. */
  readonly computed: number;
  /** Pairs whose scores were already cached (from the file, or an earlier call). */
  readonly reused: number;
  /** Reference forward passes run (one per batch with a missing pair). */
  readonly batches: number;
}

/**
 * `model.clone()` with every variable marked `trainable: false`: DPO's default reference, a
 * frozen copy of the starting policy. The caller disposes it.
 * @throws InvalidArgumentError when the model has no `clone()`.
 */
export function frozenCopy<M extends CausalLanguageModel & Checkpointable>(model: M): M {
  const clone = (model as Partial<{ clone(): M }>).clone;
  if (typeof clone !== 'function') {
    throw new InvalidArgumentError('options.referenceModel', 'a reference model when the policy has no clone() (or referenceFree: true)', undefined);
  }
  const copy = clone.call(model);
  for (const variable of copy.namedVariables().values()) variable.trainable = false;
  return copy;
}

/**
 * Opens core's `ReferenceScoreCache` for LM reference scores under the fingerprint of
 * everything they depend on ({@link lmReferenceFingerprint}: architecture, weights, score
 * reduction, tokenizer, tokenised train and eval data with their truncation settings,
 * backend). Any change gives another fingerprint, so a stale file is invalidated, never reused,
 * and `cache.invalidation` names what changed. The file's path is checked writable first
 * (errors name `options.referenceCacheFile`). Without `file` the cache lives in memory.
 */
export async function openReferenceCache(options: {
  readonly reference: CausalLanguageModel & Checkpointable;
  readonly reduction: ScoreReduction;
  readonly trainData: TokenizedPreferenceDataset;
  readonly evalData: TokenizedPreferenceDataset | undefined;
  readonly file: string | undefined;
}): Promise<ReferenceScoreCache> {
  const parts = await lmReferenceFingerprint(options);
  if (options.file === undefined) return ReferenceScoreCache.inMemory(parts);
  return ReferenceScoreCache.open(options.file, parts, { argument: 'options.referenceCacheFile' });
}

/**
 * Scores every pair of `datasets` missing from the cache behind `source`, `batchSize` pairs
 * per reference forward pass (core's `referenceScores` fills the cache). Saving is the
 * caller's business.
 */
export async function precomputeReferenceScores(
  source: Extract<ReferenceSource<DPOBatch>, { kind: 'cache' }>,
  datasets: readonly TokenizedPreferenceDataset[],
  batchSize: number,
  tokens: BatchSpecialTokens,
): Promise<ReferencePrecomputation> {
  let computed = 0;
  let reused = 0;
  let batches = 0;
  for (const data of datasets) {
    for (let start = 0; start < data.examples.length; start += batchSize) {
      const indices = Array.from({ length: Math.min(batchSize, data.examples.length - start) }, (_, i) => start + i);
      const missing = source.cache.missing(indices.map((i) => data.keys[i]!)).length;
      reused += indices.length - missing;
      if (missing === 0) continue;
      const scores = await referenceScores(source, buildDPOBatch(data, indices, tokens));
      if (scores !== null) tf.dispose([scores.chosen, scores.rejected]);
      computed += missing;
      batches += 1;
    }
  }
  return { computed, reused, batches };
}
