import { availableParallelism } from 'node:os';
import { requireInteger } from '../errors/validate.js';

/**
 * The fewest trainable parameters for which `workers: 'auto'` starts worker threads. Below it
 * the default stays on the main thread: each worker costs about a second to start (it imports
 * the model package and builds a replica) and, per step, copies of the weights in and the
 * gradients out plus a round of messages, which outweigh the compute of a small model.
 *
 * Measured 2026-12-02 (benchmarks/dist/parallel-step.js, wasm, GPT SFT step of 4 micro-batches,
 * CPU ms per step of all threads, 1 -> 2 workers; machine at load ~11 on 2 cores): 6k
 * parameters 49 -> 85 ms (+73%), 30k 89 -> 128 (+44%), 110k 151 -> 206 (+36%), and the 0.81M
 * d 128 DPO step 1080 -> 1273 (+18%). On 2 idle cores 2 workers take about half the CPU time in
 * wall time, so the step is about 2 x 49/85 = 1.15x faster at 6k parameters (less once the
 * start-up is counted: the fast tests' models), ~1.5x from 100k and ~1.7x at 0.8M.
 */
export const AUTO_WORKERS_MIN_PARAMETERS = 100_000;

/**
 * How many worker threads a data-parallel step uses:
 * - `workers` given: that many, at most the micro-batches per step;
 * - `workers` undefined (`'auto'`): the machine's cores (`os.availableParallelism()`), at most
 *   the micro-batches per step, and 1 when the model has fewer than
 *   {@link AUTO_WORKERS_MIN_PARAMETERS} trainable parameters (workers would cost more than they
 *   save).
 * A worker with no micro-batch would only cost memory, hence the cap. `1` means no workers:
 * the main thread computes every micro-batch (the single-thread path).
 *
 * @param workers - the `workers` training argument; undefined for `'auto'`.
 * @param microBatchesPerStep - `gradientAccumulationSteps`, or however many micro-batches a step has.
 * @param cores - the machine's cores. @defaultValue `os.availableParallelism()`
 * @param parameters - trainable parameters of the model, for `'auto'`. @defaultValue Infinity (no threshold)
 * @throws InvalidArgumentError naming `workers` or `microBatchesPerStep` for a non-integer or a value < 1.
 */
export function resolveWorkerCount(
  workers: number | undefined,
  microBatchesPerStep: number,
  cores: number = availableParallelism(),
  parameters = Number.POSITIVE_INFINITY,
): number {
  const cap = requireInteger('microBatchesPerStep', microBatchesPerStep, { min: 1 });
  if (workers === undefined && parameters < AUTO_WORKERS_MIN_PARAMETERS) return 1;
  const wanted = workers === undefined ? Math.max(1, cores) : requireInteger('workers', workers, { min: 1 });
  return Math.min(wanted, cap);
}

/** Trainable parameters (values) of a map of variables, for {@link resolveWorkerCount}. */
export function trainableParameterCount(variables: ReadonlyMap<string, { trainable: boolean; size: number }>): number {
  let count = 0;
  for (const variable of variables.values()) if (variable.trainable) count += variable.size;
  return count;
}
