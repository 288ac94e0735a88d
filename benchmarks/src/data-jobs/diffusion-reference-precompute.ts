import { ReferenceScoreCache } from '@dpo-ts/core/preference';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  diffusionReferenceFingerprint,
  loadDiffusionModel,
  loadImagePreferenceJsonl,
  resolveDiffusionDPOConfig,
  type DiffusionDPOConfig,
} from '@dpo-ts/diffusion';
import { type RunJobsOptions, type ReferenceShardsSummary, precomputeReferenceShards } from '@dpo-ts/queue';
import { DIFFUSION_REFERENCE_KIND, type DiffusionReferencePayload } from './diffusion-reference-kind.js';
import { shardSegments } from './reference-segments.js';

/** Options of {@link precomputeDiffusionReferenceScores}. */
export interface PrecomputeDiffusionReferenceOptions extends Omit<RunJobsOptions, 'jobs'> {
  /** The reference: a directory written by a diffusion trainer's `save(dir)`, readable by every worker. */
  readonly modelDir: string;
  /** Train pairs (`writeImagePreferenceJsonl`), readable by every worker. */
  readonly trainFile: string;
  /**
   * The Diffusion-DPO run's config: `seed`, `cfgDropProb`, `scoreScale` and
   * `precomputeRefBatchSize` decide the scores, as in `DiffusionDPOTrainer.create`.
   * @defaultValue {}
   */
  readonly config?: DiffusionDPOConfig;
  /** The cache file the run will read as `referenceCacheFile`. */
  readonly cacheFile: string;
  /** Pairs per job. */
  readonly shardSize: number;
  /** Backend of this process and of every worker (the cache's fingerprint names it). */
  readonly backend: BackendRequest;
}

/**
 * Fills the reference-score cache of a Diffusion-DPO run (without an eval set) from shards
 * scored by `reference-scores/diffusion` jobs: the fingerprint and keys of
 * `DiffusionDPOTrainer.create` with `referenceCacheFile`, so the trainer finds every pair
 * (status `loaded`). Pairs already in the file are not sent again; shards are written in
 * dataset order. Selects `backend` in this process.
 */
export async function precomputeDiffusionReferenceScores(
  options: PrecomputeDiffusionReferenceOptions,
): Promise<ReferenceShardsSummary & { readonly status: ReferenceScoreCache['status'] }> {
  await selectBackend({ backend: options.backend, gradientOverrides: 'default', quiet: true });
  const { model, schedule } = await loadDiffusionModel(options.modelDir);
  let cache: ReferenceScoreCache;
  let keys: string[];
  let payload: Omit<DiffusionReferencePayload, 'segments' | 'keys'>;
  try {
    const config = resolveDiffusionDPOConfig(options.config ?? {}, model, schedule.numTimesteps);
    const trainDataset = await loadImagePreferenceJsonl(options.trainFile, model.imageShape, {
      numClasses: model.numClasses,
    });
    cache = await ReferenceScoreCache.open(
      options.cacheFile,
      await diffusionReferenceFingerprint({
        reference: model,
        schedule,
        trainDataset,
        seed: config.seed,
        cfgDropProb: config.cfgDropProb,
        scoreScale: config.scoreScale,
      }),
      { argument: 'options.cacheFile' },
    );
    keys = Array.from({ length: trainDataset.count }, (_, i) => `train/${i}`);
    payload = {
      modelDir: options.modelDir,
      seed: config.seed,
      cfgDropProb: config.cfgDropProb,
      scoreScale: config.scoreScale,
      batchSize: config.precomputeRefBatchSize,
      backend: options.backend,
    };
  } finally {
    model.dispose();
  }
  const splits = [{ split: 'train' as const, file: options.trainFile, keys }];
  const summary = await precomputeReferenceShards({
    ...options,
    keys,
    cache,
    kind: DIFFUSION_REFERENCE_KIND,
    shardPayload: (shard): DiffusionReferencePayload => ({
      ...payload,
      segments: shardSegments(splits, shard.indices),
      keys: shard.keys,
    }),
  });
  return { ...summary, status: cache.status };
}
