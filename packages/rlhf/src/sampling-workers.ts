import { InvalidArgumentError } from '@dpo-ts/core';
import { resolveSamplingWorkers, SamplingWorkerPool } from '@dpo-ts/core/parallel';
import { gptSamplerSpec, type GPT, type GPTSamplingResult, type GPTSamplingTask } from '@dpo-ts/lm';
import type { RolloutSampling } from './rollout-generation.js';

/**
 * The sampling argument of the RL trainers (PPO, RLOO, GRPO, online DPO, DDPO). Named
 * `samplingWorkers`, not `workers`: in the training arguments `workers` already means the
 * gradient step's threads (core's `ParallelTrainingArguments`), a different pool with a
 * different grain; a trainer may have both.
 */
export interface SamplingWorkersArgument {
  /**
   * Worker threads sampling each rollout and the reward-scored evaluation samples: an
   * integer >= 1, or `'auto'` for the machine's cores, resolved as core's
   * `resolveSamplingWorkers` does (at most one per task of {@link ROLLOUT_ROWS_PER_TASK} rows,
   * and 1 for a model under core's `AUTO_WORKERS_MIN_PARAMETERS`). One pool is opened per
   * `train()` and closed when it ends, also on error or abort.
   * A `trainStep()` or `rollout()` called outside `train()` samples on the main thread.
   *
   * A count that resolves to 1 keeps the single-thread path, sample for sample. A count > 1
   * samples the rows in seeded tasks: the samples then do not depend on the count (2 and 3
   * workers give the same run) but differ from the single-thread path's. That is why the
   * default is 1 and not `'auto'` (which would change seeded runs with the machine's cores).
   * DDPO seeds each sampler call on every path, so there every count gives the same trajectories.
   * @defaultValue 1
   */
  readonly samplingWorkers?: number | 'auto';
}

/** The default of {@link SamplingWorkersArgument.samplingWorkers}: the single-thread path. */
export const DEFAULT_SAMPLING_WORKERS: number | 'auto' = 1;

/** Rows per sampling task of a rollout: the parallel grain, independent of the worker count. */
export const ROLLOUT_ROWS_PER_TASK = 8;

/**
 * Validates `config.samplingWorkers` once, at the config boundary.
 * @returns the count, `'auto'`, or {@link DEFAULT_SAMPLING_WORKERS} when unset.
 * @throws InvalidArgumentError naming `config.samplingWorkers` for anything but an integer >= 1 or `'auto'`.
 */
export function resolveSamplingWorkersArgument(config: SamplingWorkersArgument): number | 'auto' {
  const value: unknown = config.samplingWorkers ?? DEFAULT_SAMPLING_WORKERS;
  if (value === 'auto' || (typeof value === 'number' && Number.isInteger(value) && value >= 1)) return value;
  throw new InvalidArgumentError('config.samplingWorkers', "an integer >= 1 or 'auto'", value);
}

/** A trainer's open rollout pool, or none (the single-thread path). */
export type RolloutPool = SamplingWorkerPool<GPTSamplingTask, GPTSamplingResult> | undefined;

/**
 * Opens the pool a trainer's `train()` samples with: `samplingWorkers` resolved for rollouts of
 * `rows` rows (tasks of {@link ROLLOUT_ROWS_PER_TASK}), and `undefined` when that is 1. The
 * caller closes it (`await pool?.close()` in a `finally`).
 * @throws InvalidArgumentError naming `config.samplingWorkers`; SamplingWorkerFailedError when a worker cannot start.
 */
export async function openRolloutPool(
  policy: GPT,
  samplingWorkers: number | 'auto',
  rows: number,
): Promise<RolloutPool> {
  const workers = rolloutWorkerCount(policy, samplingWorkers, rows);
  if (workers === 1) return undefined;
  return SamplingWorkerPool.create<GPTSamplingTask, GPTSamplingResult>({
    sampler: gptSamplerSpec({ gpt: policy.config }),
    parameters: policy.namedVariables(),
    workers,
  });
}

/**
 * The threads `samplingWorkers` gives rollouts of `rows` rows of `policy`: core's
 * `resolveSamplingWorkers` over tasks of {@link ROLLOUT_ROWS_PER_TASK} rows. 1 means the
 * single-thread path.
 * @throws InvalidArgumentError naming `config.samplingWorkers`.
 */
export function rolloutWorkerCount(policy: GPT, samplingWorkers: number | 'auto', rows: number): number {
  let values = 0;
  for (const variable of policy.namedVariables().values()) values += variable.size;
  const tasks = Math.ceil(rows / ROLLOUT_ROWS_PER_TASK);
  return resolveSamplingWorkers(samplingWorkers, tasks, values, 'config.samplingWorkers');
}

/** The `sampling` argument of the rollout collectors for an open pool; undefined: the single-thread path. */
export function rolloutSampling(pool: RolloutPool): RolloutSampling | undefined {
  return pool === undefined ? undefined : { pool, rowsPerTask: ROLLOUT_ROWS_PER_TASK };
}

/**
 * The `sampling` argument of an evaluation: `pool` while `train()` holds one; outside it,
 * workers started for the call when `train()` would open a pool (so an evaluation samples the
 * same completions inside and outside `train()`), else undefined (the main thread).
 * @param rows - the rollout rows the pool is sized for (not the evaluation's).
 */
export function evaluationSampling(
  pool: RolloutPool,
  policy: GPT,
  samplingWorkers: number | 'auto',
  rows: number,
): RolloutSampling | undefined {
  if (pool !== undefined) return rolloutSampling(pool);
  const workers = rolloutWorkerCount(policy, samplingWorkers, rows);
  return workers === 1 ? undefined : { workers, rowsPerTask: ROLLOUT_ROWS_PER_TASK };
}

/**
 * Runs `body` with the pool `open` resolves to (a trainer's sampling pool, or undefined for the
 * main thread) and closes it afterwards, whether `body` returns, throws or is aborted.
 */
export async function withSamplingPool<TPool extends { close(): Promise<void> }, T>(
  open: Promise<TPool | undefined>,
  body: (pool: TPool | undefined) => Promise<T>,
): Promise<T> {
  const pool = await open;
  try {
    return await body(pool);
  } finally {
    await pool?.close();
  }
}
