import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  combineFingerprints,
  fingerprintVariables,
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
 * everything they depend on: a format tag, the score reduction, the reference weights
 * (`fingerprintVariables`) and the tokenised train and eval datasets with their truncation
 * settings. Any change gives another fingerprint, so a stale file is invalidated, never reused.
 * Without `file` the cache lives in memory: a path that does not exist opens as `'new'`, and
 * the caller never saves it.
 */
export async function openReferenceCache(options: {
  readonly reference: Checkpointable;
  readonly reduction: ScoreReduction;
  readonly trainData: TokenizedPreferenceDataset;
  readonly evalData: TokenizedPreferenceDataset | undefined;
  readonly file: string | undefined;
}): Promise<ReferenceScoreCache> {
  const fingerprint = combineFingerprints(
    'dpo-ts.lm-reference-scores.v1',
    options.reduction,
    await fingerprintVariables(options.reference.namedVariables()),
    options.trainData.fingerprint,
    options.evalData?.fingerprint ?? 'no-eval-dataset',
  );
  const file = options.file ?? path.join(tmpdir(), `dpo-ts-in-memory-${randomUUID()}`, 'reference-scores.json');
  return ReferenceScoreCache.open(file, fingerprint);
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
