import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { Sampler, SamplerSpec } from './sampler.js';
import { SamplingWorkerPool, type SamplingWorkerPoolOptions } from './sampling-worker-pool.js';
import { resolveWorkerCount } from './worker-count.js';

/** Options of {@link sampleTasks}. */
export interface SampleTasksOptions<TTask, TResult> {
  /** The caller's sampler on the main thread: runs every task itself with one worker, and its variables are the weights. */
  readonly sampler: Sampler<TTask, TResult>;
  /** How workers rebuild `sampler`; without one, everything runs on the main thread. */
  readonly spec?: SamplerSpec;
  /**
   * Worker threads: an integer >= 1, or `'auto'` for the machine's cores, at most one per task,
   * and 1 for a model under core's `AUTO_WORKERS_MIN_PARAMETERS` values (threads would cost
   * more than they save). `1` runs the tasks one after the other on the main thread. Results
   * do not depend on the count (the {@link Sampler} contract).
   * @defaultValue 1
   */
  readonly workers?: number | 'auto';
  /** Passed to {@link SamplingWorkerPool.create}. */
  readonly pool?: Omit<SamplingWorkerPoolOptions, 'sampler' | 'parameters' | 'workers'>;
}

/**
 * Worker threads {@link sampleTasks} starts for `taskCount` tasks of a sampler with
 * `parameters` values: {@link resolveWorkerCount} with the tasks in place of micro-batches
 * (`undefined` counts as 1).
 * @param argument - the option's name in the caller's API, for the error. @defaultValue 'workers'
 * @throws InvalidArgumentError naming `argument` for anything but an integer >= 1 or `'auto'`.
 */
export function resolveSamplingWorkers(
  workers: number | 'auto' | undefined,
  taskCount: number,
  parameters: number,
  argument = 'workers',
): number {
  const value = workers ?? 1;
  if (value !== 'auto' && !(typeof value === 'number' && Number.isInteger(value) && value >= 1))
    throw new InvalidArgumentError(argument, "an integer >= 1 or 'auto'", value);
  return resolveWorkerCount(value === 'auto' ? undefined : value, Math.max(1, taskCount), undefined, parameters);
}

/**
 * Runs sampling tasks, on the main thread or on a {@link SamplingWorkerPool} started for the
 * call (and closed after it), and returns their results in task order. The pool costs a
 * second or so to start; a trainer that samples every update keeps one pool open instead.
 * @throws InvalidArgumentError for an empty task list or bad `workers`; SamplingWorkerFailedError
 *   when a worker fails.
 */
export async function sampleTasks<TTask, TResult>(
  tasks: readonly TTask[],
  options: SampleTasksOptions<TTask, TResult>,
): Promise<TResult[]> {
  if (!Array.isArray(tasks) || tasks.length === 0) throw new InvalidArgumentError('tasks', 'at least one task', tasks);
  let values = 0;
  for (const variable of options.sampler.namedVariables.values()) values += variable.size;
  const workers = resolveSamplingWorkers(options.workers, tasks.length, values, 'options.workers');
  if (workers === 1 || options.spec === undefined) {
    const results: TResult[] = [];
    for (const task of tasks) results.push(await options.sampler.sample(task));
    return results;
  }
  const pool = await SamplingWorkerPool.create<TTask, TResult>({
    ...options.pool,
    sampler: options.spec,
    parameters: options.sampler.namedVariables,
    workers,
  });
  try {
    return await pool.sample(tasks);
  } finally {
    await pool.close();
  }
}
