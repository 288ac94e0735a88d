import { requireInteger } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { SamplingWorkerPool } from '@dpo-ts/core/parallel';
import {
  generate,
  generateTasks,
  type GenerateOptions,
  type GenerationResult,
  type GPT,
  type GPTSamplingResult,
  type GPTSamplingTask,
  type Tokenizer,
} from '@dpo-ts/lm';

/**
 * How a rollout's completions are sampled on worker threads (PPO, RLOO/GRPO, online DPO). The
 * rows are cut into tasks of `rowsPerTask`, each seeded with one `rng.nextUint32()` drawn in
 * task order, so the samples do not depend on the worker count; they differ from the
 * single-call path (`sampling` undefined or `workers: 1`), which draws every row from `rng`.
 */
export interface RolloutSampling {
  /**
   * Worker threads for the tasks: an integer >= 1 or `'auto'` (lm's `generateTasks`). `1`
   * without a `pool` keeps today's path: one `generate` call on the main thread.
   * @defaultValue 1
   */
  readonly workers?: number | 'auto';
  /**
   * An open pool of the policy (built with lm's `gptSamplerSpec`), kept by the trainer across
   * updates so threads start once; takes precedence over `workers`.
   */
  readonly pool?: SamplingWorkerPool<GPTSamplingTask, GPTSamplingResult>;
  /** Rows per task: the parallel grain, independent of the worker count. @defaultValue 8 */
  readonly rowsPerTask?: number;
}

/** The generation settings a rollout passes through; the randomness comes from `rng`. */
export type RolloutGenerateOptions = Pick<GenerateOptions, 'maxNewTokens' | 'temperature' | 'stopAtEos'>;

/**
 * A rollout's sampling step: `generate(policy, tokenizer, rows, { ...options, rng })` on the
 * main thread (today's path), or, with {@link RolloutSampling} workers > 1, `'auto'` or a pool,
 * the rows in seeded tasks on worker threads, reassembled in row order into one rectangular
 * {@link GenerationResult} (rows padded with PAD, log-prob 0 and mask 0 to the longest task).
 * Plain arrays; no tensor to dispose.
 */
export async function generateRollout(
  policy: GPT,
  tokenizer: Tokenizer,
  rows: readonly (readonly number[])[],
  options: RolloutGenerateOptions,
  rng: Rng,
  sampling?: RolloutSampling,
): Promise<GenerationResult> {
  if (sampling === undefined || (sampling.pool === undefined && (sampling.workers ?? 1) === 1))
    return generate(policy, tokenizer, rows, { ...options, rng });
  const rowsPerTask = requireInteger('sampling.rowsPerTask', sampling.rowsPerTask ?? 8, { min: 1 });
  const tasks: GPTSamplingTask[] = [];
  for (let start = 0; start < rows.length; start += rowsPerTask) {
    tasks.push({
      prompts: rows.slice(start, start + rowsPerTask),
      generation: { ...options, seed: rng.nextUint32() },
      eosTokenId: tokenizer.eosTokenId,
      padTokenId: tokenizer.padTokenId,
    });
  }
  const results = sampling.pool
    ? await sampling.pool.sample(tasks)
    : await generateTasks(policy, tasks, sampling.workers, 'sampling.workers');
  const steps = Math.max(...results.map((result) => result.tokenIds[0]!.length));
  const pad = <T>(row: readonly T[], value: T): T[] => [...row, ...new Array<T>(steps - row.length).fill(value)];
  const merged: GenerationResult = {
    tokenIds: results.flatMap((result) => result.tokenIds.map((row) => pad(row, tokenizer.padTokenId))),
    logProbs: results.flatMap((result) => result.logProbs.map((row) => pad(row, 0))),
    mask: results.flatMap((result) => result.mask.map((row) => pad(row, 0))),
    lengths: results.flatMap((result) => result.lengths),
    finished: results.flatMap((result) => result.finished),
    texts: [],
  };
  merged.tokenIds.forEach((ids, b) => {
    merged.texts.push(tokenizer.decode(ids.slice(0, merged.lengths[b])));
  });
  return merged;
}
