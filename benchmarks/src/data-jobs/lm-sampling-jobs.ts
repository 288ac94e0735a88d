import { DPOTSError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { PreferenceRecordInput } from '@dpo-ts/core/data';
import { type RunJobsOptions, runJobs } from '@dpo-ts/queue';
import {
  LM_SAMPLE_KINDS,
  type LabeledSample,
  type LMSamplePayload,
  type LMSampleResult,
  type LMSampleTask,
} from './lm-samples-kind.js';

/** Options of the LM sampling data jobs ({@link sampleLabeledPairs}, {@link bestOfN}, {@link sampleForEvaluation}). */
export interface LMSamplingJobsOptions
  extends Omit<RunJobsOptions, 'jobs'>,
    Omit<LMSamplePayload, 'prompts' | 'seed' | 'batchSize'> {
  /** Every prompt, in order. */
  readonly prompts: readonly string[];
  /** The run's seed: the samples equal one `sampleCompletions` call over all prompts with this seed. */
  readonly seed: number;
  /** Rows per `generate` call. @defaultValue 64 */
  readonly batchSize?: number;
  /**
   * Prompts per job. `shardSize * samplesPerPrompt` must be a multiple of `batchSize`, so that
   * every shard starts a new batch and its seed lines up with one unsharded run.
   */
  readonly shardSize: number;
}

/**
 * Cuts the prompts into shards of `shardSize`, runs one job of `task` per shard and returns
 * the per-prompt results in prompt order. Shard j's seed is `seed + j * shardSize *
 * samplesPerPrompt / batchSize`, the seed its first batch has in one unsharded
 * `sampleCompletions` call: the output depends neither on the workers nor on the shard size.
 * @throws InvalidArgumentError for a shard size that does not line up with `batchSize`;
 *   DPOTSError naming the first shard that failed.
 */
async function runLMSampleShards(
  task: LMSampleTask,
  options: LMSamplingJobsOptions,
): Promise<LMSampleResult['perPrompt'][number][]> {
  const { prompts, seed, shardSize: _shardSize, batchSize: _batchSize, ...rest } = options;
  const batchSize = requireInteger('options.batchSize', options.batchSize ?? 64, { min: 1 });
  const shardSize = requireInteger('options.shardSize', options.shardSize, { min: 1 });
  const rows = shardSize * options.samplesPerPrompt;
  if (rows % batchSize !== 0)
    throw new InvalidArgumentError(
      'options.shardSize',
      `a size whose rows (shardSize x samplesPerPrompt = ${rows}) are a multiple of batchSize ${batchSize}`,
      shardSize,
    );
  const payloads: LMSamplePayload[] = [];
  for (let start = 0, j = 0; start < prompts.length; start += shardSize, j++) {
    payloads.push({
      modelDir: rest.modelDir,
      prompts: prompts.slice(start, start + shardSize),
      samplesPerPrompt: rest.samplesPerPrompt,
      seed: seed + (j * rows) / batchSize,
      batchSize,
      generation: rest.generation,
      labeler: rest.labeler,
      ...(rest.minRewardGap === undefined ? {} : { minRewardGap: rest.minRewardGap }),
      ...(rest.requireFinished === undefined ? {} : { requireFinished: rest.requireFinished }),
      backend: rest.backend,
    });
  }
  const outcomes = await runJobs({
    ...options,
    jobs: payloads.map((payload) => ({
      kind: LM_SAMPLE_KINDS[task],
      payload,
      estimateSeconds: payload.prompts.length,
    })),
  });
  return outcomes.flatMap((outcome, j) => {
    if (outcome.status === 'failed')
      throw new DPOTSError(`${LM_SAMPLE_KINDS[task]} shard ${j} of ${payloads.length} failed: ${outcome.error}`);
    const perPrompt = (outcome.result as LMSampleResult | null)?.perPrompt;
    if (!Array.isArray(perPrompt) || perPrompt.length !== payloads[j]!.prompts.length)
      throw new InvalidArgumentError(
        `result of ${LM_SAMPLE_KINDS[task]} shard ${j}.perPrompt`,
        `an array of ${payloads[j]!.prompts.length} entries`,
        perPrompt,
      );
    return perPrompt;
  });
}

/**
 * Preference pairs from on-policy samples labelled by a labeler (AI feedback at scale), as lm's
 * `samplePreferencePairs` makes them, with the sampling and labelling sharded into `pairs/lm`
 * jobs. Pairs come back in prompt order, ready for `DPOTrainer` or core's `writePreferenceJsonl`.
 */
export async function sampleLabeledPairs(
  options: LMSamplingJobsOptions,
): Promise<{ pairs: PreferenceRecordInput[]; skipped: number; sampled: number }> {
  const perPrompt = await runLMSampleShards('pairs', options);
  const pairs = perPrompt.filter((entry): entry is PreferenceRecordInput => entry !== null);
  return { pairs, skipped: perPrompt.length - pairs.length, sampled: perPrompt.length * options.samplesPerPrompt };
}

/** Best-of-N: per prompt the first best of `samplesPerPrompt` labelled samples (null when none was usable), sharded into `best-of-n/lm` jobs. */
export async function bestOfN(
  options: LMSamplingJobsOptions,
): Promise<((LabeledSample & { prompt: string }) | null)[]> {
  const perPrompt = await runLMSampleShards('best-of-n', options);
  return perPrompt.map((entry, i) =>
    entry === null ? null : { prompt: options.prompts[i]!, ...(entry as LabeledSample) },
  );
}

/** Evaluation samples: per prompt every labelled sample, sharded into `eval-samples/lm` jobs. */
export async function sampleForEvaluation(
  options: LMSamplingJobsOptions,
): Promise<{ prompt: string; samples: readonly LabeledSample[] }[]> {
  const perPrompt = await runLMSampleShards('evaluate', options);
  return perPrompt.map((entry, i) => ({ prompt: options.prompts[i]!, samples: entry as readonly LabeledSample[] }));
}
