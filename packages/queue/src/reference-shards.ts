import { DPOTSError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { ReferenceScoreStore } from '@dpo-ts/core/preference';
import { type RunJobsOptions, runJobs } from './run-jobs.js';

/** One shard of a reference precompute, as its job's payload builder sees it. */
export interface ReferenceShard {
  /** Position of the shard among the shards, from 0. */
  readonly index: number;
  /** Positions of the shard's pairs in `keys` (ascending, contiguous among the missing ones). */
  readonly indices: readonly number[];
  /** The pairs' cache keys. */
  readonly keys: readonly string[];
}

/** What a reference-scores job returns: `[chosen, rejected]` per pair of its shard, in order. */
export interface ReferenceShardResult {
  /** `[chosen, rejected]` reference score of each pair of the shard, finite, in the shard's order. */
  readonly scores: readonly (readonly [number, number])[];
}

/** Options of {@link precomputeReferenceShards}. */
export interface PrecomputeReferenceShardsOptions extends Omit<RunJobsOptions, 'jobs'> {
  /** Every pair's cache key, in dataset order. */
  readonly keys: readonly string[];
  /** core's reference score store (a fingerprinted `ReferenceScoreCache` file, or in memory). */
  readonly cache: ReferenceScoreStore;
  /** Pairs per job. */
  readonly shardSize: number;
  /** The job kind that scores a shard and returns a {@link ReferenceShardResult}. */
  readonly kind: string;
  /** The payload of a shard's job: what the worker needs to rebuild the reference and the pairs. */
  readonly shardPayload: (shard: ReferenceShard) => unknown;
}

/** What {@link precomputeReferenceShards} did. */
export interface ReferenceShardsSummary {
  /** Pairs scored by this call. */
  readonly computed: number;
  /** Pairs already in the cache. */
  readonly reused: number;
  /** Jobs (shards) this call ran or found stored: 0 when the cache had every pair. */
  readonly shards: number;
}

/**
 * Fills a reference score cache with shards scored as jobs (in-process, or by any number of
 * workers through the queue), then writes it once: the pairs the cache lacks are cut into
 * shards of `shardSize` in dataset order, each shard's scores are checked (one finite
 * `[chosen, rejected]` per pair) and stored under its pairs' keys in dataset order, so the
 * cache file is the same as one filled by a single process. The cache's fingerprint is the
 * caller's: it must cover the reference weights and the data, as for an in-process precompute.
 *
 * @throws InvalidArgumentError for a bad `shardSize` or a shard result of the wrong shape;
 *   DPOTSError naming the first shard that failed (nothing is saved then).
 */
export async function precomputeReferenceShards(
  options: PrecomputeReferenceShardsOptions,
): Promise<ReferenceShardsSummary> {
  const shardSize = requireInteger('shardSize', options.shardSize, { min: 1 });
  const missing = new Set(options.cache.missing(options.keys));
  const indices = options.keys.flatMap((key, index) => (missing.has(key) ? [index] : []));
  const shards: ReferenceShard[] = [];
  for (let start = 0; start < indices.length; start += shardSize) {
    const shardIndices = indices.slice(start, start + shardSize);
    shards.push({ index: shards.length, indices: shardIndices, keys: shardIndices.map((i) => options.keys[i]!) });
  }
  const outcomes = await runJobs({
    ...options,
    jobs: shards.map((shard) => ({
      kind: options.kind,
      payload: options.shardPayload(shard),
      estimateSeconds: shard.keys.length,
    })),
  });
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'failed')
      throw new DPOTSError(`reference shard ${i} of ${shards.length} failed: ${outcome.error}`);
  });
  outcomes.forEach((outcome, i) => {
    const shard = shards[i]!;
    const scores = (outcome as { result: ReferenceShardResult }).result?.scores;
    if (!Array.isArray(scores) || scores.length !== shard.keys.length)
      throw new InvalidArgumentError(
        `result of reference shard ${i}.scores`,
        `an array of ${shard.keys.length} [chosen, rejected] pairs`,
        scores,
      );
    shard.keys.forEach((key, j) => {
      const pair = scores[j];
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new InvalidArgumentError(`result of reference shard ${i}.scores[${j}]`, '[chosen, rejected]', pair);
      options.cache.set(key, { chosen: pair[0], rejected: pair[1] });
    });
  });
  await options.cache.save();
  return { computed: indices.length, reused: options.keys.length - indices.length, shards: shards.length };
}
