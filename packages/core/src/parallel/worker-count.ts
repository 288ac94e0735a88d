import { availableParallelism } from 'node:os';
import { requireInteger } from '../errors/validate.js';

/**
 * How many worker threads a data-parallel step uses: `workers` when given, else the machine's
 * cores (`os.availableParallelism()`), in both cases at most the micro-batches per step (a
 * worker with no micro-batch would only cost memory). `1` means no workers: the main thread
 * computes every micro-batch (today's single-thread path).
 *
 * @param workers - the `workers` training argument; undefined for the default.
 * @param microBatchesPerStep - `gradientAccumulationSteps`, or however many micro-batches a step has.
 * @throws InvalidArgumentError naming `workers` or `microBatchesPerStep` for a non-integer or a value < 1.
 */
export function resolveWorkerCount(
  workers: number | undefined,
  microBatchesPerStep: number,
  cores: number = availableParallelism(),
): number {
  const cap = requireInteger('microBatchesPerStep', microBatchesPerStep, { min: 1 });
  const wanted = workers === undefined ? Math.max(1, cores) : requireInteger('workers', workers, { min: 1 });
  return Math.min(wanted, cap);
}
