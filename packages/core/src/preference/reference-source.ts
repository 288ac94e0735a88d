import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { PairScores } from '../surrogate/pair-scores.js';
import type { Checkpointable, PreferenceScorer } from '../surrogate/preference-scorer.js';
import type { ReferenceScoreStore } from './reference-score-store.js';

/**
 * Where a preference trainer gets the reference scores log pi_ref(y|x):
 *
 * - `model`: a frozen copy of the starting policy, run forward (no gradient) on every batch;
 *   TRL's default. Needed for TR-DPO reference syncing.
 * - `cache`: scores computed once per pair and kept, on disk ({@link ReferenceScoreCache}) or in
 *   memory ({@link InMemoryReferenceScores}); pairs missing from the cache are scored with
 *   `scorer` and added. TRL's `precompute_ref_log_probs`, made persistent across runs on disk.
 * - `none`: reference-free DPO; every reference score is 0.
 */
export type ReferenceSource<TBatch> =
  | {
      /** A frozen reference model, run forward on every batch. */
      readonly kind: 'model';
      /** The reference model's scorer, run outside the gradient tape; the caller's, not disposed here. */
      readonly scorer: PreferenceScorer<TBatch> & Checkpointable;
    }
  | {
      /** Scores kept per pair, filled on a miss. */
      readonly kind: 'cache';
      /** The on-disk or in-memory store of the kept scores. */
      readonly cache: ReferenceScoreStore;
      /** Stable key of each pair in a batch, in batch order. */
      readonly keys: (batch: TBatch) => readonly string[];
      /** Scores pairs the cache lacks; without it, a miss is an error. */
      readonly scorer?: PreferenceScorer<TBatch>;
    }
  | {
      /** Reference-free: every reference score is 0. */
      readonly kind: 'none';
    };

/**
 * Reference scores of a batch, as constant tensors `[batch]` (no gradient flows into them),
 * or `null` for `none`. Cache misses are scored with the cache's scorer and stored (saving the
 * cache file is the caller's business). The caller disposes the returned tensors.
 */
export async function referenceScores<TBatch>(
  source: ReferenceSource<TBatch>,
  batch: TBatch,
): Promise<PairScores | null> {
  if (source.kind === 'none') return null;
  if (source.kind === 'model') return scoreOutsideTape(source.scorer, batch);
  const keys = source.keys(batch);
  if (source.cache.missing(keys).length > 0) {
    if (source.scorer === undefined) {
      throw new DPOTSError(
        `reference score cache ${source.cache.file ?? '(in memory)'} lacks ${source.cache.missing(keys).length} pair(s) of this batch (first: "${source.cache.missing(keys)[0]}") and no reference scorer was given to fill it`,
      );
    }
    const scores = scoreOutsideTape(source.scorer, batch);
    const [chosen, rejected] = await Promise.all([scores.chosen.data(), scores.rejected.data()]);
    disposePairScores(scores);
    if (chosen.length !== keys.length) {
      throw new InvalidArgumentError('keys(batch)', `one key per pair (${chosen.length})`, keys.length);
    }
    keys.forEach((key, i) => {
      source.cache.set(key, { chosen: chosen[i]!, rejected: rejected[i]! });
    });
  }
  const cached = keys.map((key) => source.cache.get(key)!);
  return {
    chosen: tf.tensor1d(cached.map((c) => c.chosen)),
    rejected: tf.tensor1d(cached.map((c) => c.rejected)),
  };
}

/** Disposes every tensor of `scores` (lengths and details included); `null` is a no-op. */
export function disposePairScores(scores: PairScores | null): void {
  if (scores === null) return;
  const { chosen, rejected, chosenLengths, rejectedLengths, details } = scores;
  tf.dispose(
    [chosen, rejected, chosenLengths, rejectedLengths, ...Object.values(details ?? {})].filter(
      (t): t is tf.Tensor1D => t !== undefined,
    ),
  );
}

/** Scores with `training: false`, keeping only the score tensors. */
function scoreOutsideTape<TBatch>(scorer: PreferenceScorer<TBatch>, batch: TBatch): PairScores {
  // tidy keeps the returned tensors; undefined lengths are dropped so it sees plain tensors.
  return tf.tidy(() => {
    const scores = scorer.score(batch, { training: false });
    return Object.fromEntries(Object.entries(scores).filter(([, t]) => t !== undefined)) as tf.TensorContainer;
  }) as unknown as PairScores;
}
