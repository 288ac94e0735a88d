import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * The training argument of trainers that can compute an optimiser step's micro-batch gradients
 * on worker threads (core's `createGradientEngine`). A trainer config opts in by extending it
 * beside `TrainingArguments` and listing {@link PARALLEL_TRAINING_ARGUMENTS_FIELDS} among
 * its known fields: lm's `SFTConfig` today. The other trainers do not have the field, so their
 * configs refuse it as an unknown field rather than ignore it.
 */
export interface ParallelTrainingArguments {
  /**
   * Worker threads for the micro-batches of each optimiser step: an integer >= 1, or `'auto'`
   * for the machine's cores (`os.availableParallelism()`), falling back to 1 for a model under
   * core's `AUTO_WORKERS_MIN_PARAMETERS` (100k) trainable parameters, or one the trainer cannot
   * rebuild in a worker; either way at most `gradientAccumulationSteps` (a worker with no
   * micro-batch would only cost memory). `1` runs everything on the main thread. Gradients are
   * summed in micro-batch order whatever the count, so the numbers do not depend on it beyond
   * float32 summation.
   *
   * @defaultValue 'auto'. With the default `gradientAccumulationSteps` of 1 that is one thread;
   *   small models (the fast tests', the quick starts') stay on the main thread, where workers
   *   would cost more than they save (measured: see `AUTO_WORKERS_MIN_PARAMETERS`).
   */
  readonly workers?: number | 'auto';
}

/** The field names of {@link ParallelTrainingArguments}, for `requireKnownFields`. */
export const PARALLEL_TRAINING_ARGUMENTS_FIELDS: readonly (keyof ParallelTrainingArguments)[] = Object.freeze([
  'workers',
]);

/** The default of {@link ParallelTrainingArguments.workers}. */
export const DEFAULT_WORKERS: number | 'auto' = 'auto';

/**
 * Validates `config.workers` once, at the config boundary.
 * @returns the worker count, `'auto'`, or {@link DEFAULT_WORKERS} when unset.
 * @throws InvalidArgumentError naming `config.workers`: `config.workers must be an integer >= 1 or 'auto': got 0`.
 */
export function resolveWorkers(config: ParallelTrainingArguments): number | 'auto' {
  const workers: unknown = config.workers ?? DEFAULT_WORKERS;
  if (workers === 'auto' || (typeof workers === 'number' && Number.isInteger(workers) && workers >= 1)) return workers;
  throw new InvalidArgumentError('config.workers', "an integer >= 1 or 'auto'", workers);
}

/**
 * The `workers` option of `createGradientEngine` / `resolveWorkerCount` for a resolved
 * `workers` argument: `undefined` (the machine's cores) for `'auto'`, else the count.
 */
export function engineWorkers(workers: number | 'auto'): number | undefined {
  return workers === 'auto' ? undefined : workers;
}
