import { ReferenceScoreCache } from '@dpo-ts/core/preference';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  loadLMPreferenceJsonl,
  loadLanguageModel,
  lmReferenceFingerprint,
  resolveDPOConfig,
  tokenizePreferenceDataset,
  type DPOConfig,
} from '@dpo-ts/lm';
import { type RunJobsOptions, type ReferenceShardsSummary, precomputeReferenceShards } from '@dpo-ts/queue';
import { LM_REFERENCE_KIND, type LMReferencePayload } from './lm-reference-kind.js';
import { type ReferenceSplit, shardSegments } from './reference-segments.js';

/** Options of {@link precomputeLMReferenceScores}. */
export interface PrecomputeLMReferenceOptions extends Omit<RunJobsOptions, 'jobs'> {
  /** The reference: a directory written by an lm trainer's `save(dir)`, readable by every worker. */
  readonly modelDir: string;
  /** Train pairs (preference JSONL), readable by every worker. */
  readonly trainFile: string;
  /** Eval pairs, when the DPO run has an eval set (its pairs are part of the cache's fingerprint). */
  readonly evalFile?: string;
  /**
   * The DPO run's config: its truncation layout, `scoreReduction` and `precomputeRefBatchSize`
   * decide the scores, as in `DPOTrainer.create`. @defaultValue lm's `DEFAULT_DPO_CONFIG`
   */
  readonly config?: DPOConfig;
  /** The cache file the DPO run will read as `referenceCacheFile`. */
  readonly cacheFile: string;
  /** Pairs per job. */
  readonly shardSize: number;
  /** Backend of this process and of every worker (the cache's fingerprint names it). */
  readonly backend: BackendRequest;
}

/**
 * Fills the reference-score cache of an lm DPO run from shards scored by `reference-scores/lm`
 * jobs (in-process, or on any number of workers with `url`): the same fingerprint as
 * `DPOTrainer.create` with `referenceCacheFile` and the same keys, so the trainer then finds
 * every pair in the cache (status `loaded`) and runs no reference forward pass. Pairs the file
 * already holds are not sent again; shards are written in dataset order, so the file does not
 * depend on how many workers ran them. Selects `backend` in this process.
 */
export async function precomputeLMReferenceScores(
  options: PrecomputeLMReferenceOptions,
): Promise<ReferenceShardsSummary & { readonly status: ReferenceScoreCache['status'] }> {
  await selectBackend({ backend: options.backend, gradientOverrides: 'default', quiet: true });
  const { model, tokenizer } = await loadLanguageModel(options.modelDir);
  let cache: ReferenceScoreCache;
  let splits: ReferenceSplit[];
  let payload: Omit<LMReferencePayload, 'segments' | 'keys'>;
  try {
    const config = resolveDPOConfig(options.config ?? {}, model);
    const layout = {
      maxLength: config.maxLength,
      maxPromptLength: config.maxPromptLength,
      maxCompletionLength: config.maxCompletionLength,
      truncationMode: config.truncationMode,
    };
    const train = tokenizePreferenceDataset(await loadLMPreferenceJsonl(options.trainFile), tokenizer, layout, 'train');
    const evalData =
      options.evalFile === undefined
        ? undefined
        : tokenizePreferenceDataset(await loadLMPreferenceJsonl(options.evalFile), tokenizer, layout, 'eval');
    for (const variable of model.namedVariables().values()) variable.trainable = false;
    cache = await ReferenceScoreCache.open(
      options.cacheFile,
      await lmReferenceFingerprint({ reference: model, reduction: config.scoreReduction, trainData: train, evalData }),
      { argument: 'options.cacheFile' },
    );
    splits = [{ split: 'train', file: options.trainFile, keys: train.keys }];
    if (evalData !== undefined && options.evalFile !== undefined)
      splits.push({ split: 'eval', file: options.evalFile, keys: evalData.keys });
    payload = {
      modelDir: options.modelDir,
      layout: {
        ...layout,
        maxCompletionLength: Number.isFinite(layout.maxCompletionLength) ? layout.maxCompletionLength : null,
      },
      reduction: config.scoreReduction,
      batchSize: config.precomputeRefBatchSize,
      backend: options.backend,
    };
  } finally {
    model.dispose();
  }
  const keys = splits.flatMap((split) => split.keys);
  const summary = await precomputeReferenceShards({
    ...options,
    keys,
    cache,
    kind: LM_REFERENCE_KIND,
    shardPayload: (shard): LMReferencePayload => ({
      ...payload,
      segments: shardSegments(splits, shard.indices),
      keys: shard.keys,
    }),
  });
  return { ...summary, status: cache.status };
}
