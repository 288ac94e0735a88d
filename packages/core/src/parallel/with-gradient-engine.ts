import { createGradientEngine, type GradientEngineOptions } from './create-gradient-engine.js';
import type { GradientEngine } from './gradient-engine.js';
import { resolveWorkerCount, trainableParameterCount } from './worker-count.js';

/**
 * Runs `run` with the gradient engine a trainer's `train()` needs, then closes it: a worker
 * pool from {@link createGradientEngine} when `options.workers` resolves to more than one
 * thread (and a `spec` is given), else `undefined` (the trainer's steps then use core's
 * default in-process engine, today's single-thread path, with no extra object). The engine is
 * closed however `run` ends, a worker failure included.
 *
 * @example
 * return withGradientEngine({ task, spec, workers: engineWorkers(config.workers), microBatchesPerStep: 4 },
 *   async (engine) => { this.engine = engine; try { return await this.loop(options); } finally { this.engine = undefined; } });
 */
export async function withGradientEngine<TBatch, T>(
  options: GradientEngineOptions<TBatch>,
  run: (engine: GradientEngine<TBatch> | undefined) => Promise<T>,
): Promise<T> {
  const workers = resolveWorkerCount(
    options.workers,
    options.microBatchesPerStep,
    undefined,
    trainableParameterCount(options.task.namedVariables),
  );
  if (workers === 1 || options.spec === undefined) return run(undefined);
  const engine = await createGradientEngine(options);
  try {
    return await run(engine);
  } finally {
    await engine.close();
  }
}
