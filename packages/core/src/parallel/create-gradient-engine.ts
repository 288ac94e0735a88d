import type { GradientEngine } from './gradient-engine.js';
import { GradientWorkerPool, type GradientWorkerPoolOptions } from './gradient-worker-pool.js';
import { InProcessGradientEngine } from './in-process-gradient-engine.js';
import type { ParallelTask, ParallelTaskSpec } from './parallel-task.js';
import { resolveWorkerCount, trainableParameterCount } from './worker-count.js';

/** Options of {@link createGradientEngine}. */
export interface GradientEngineOptions<TBatch> {
  /** The trainer's model and loss on the main thread: used as is with one worker, and its variables are the canonical parameters. */
  readonly task: ParallelTask<TBatch>;
  /** How workers rebuild `task`; without one the engine stays on the main thread. */
  readonly spec?: ParallelTaskSpec;
  /** The `workers` training argument; undefined for `'auto'` (see `resolveWorkerCount`). @defaultValue undefined */
  readonly workers?: number;
  /** Micro-batches per optimiser step (`gradientAccumulationSteps`): caps the worker count. */
  readonly microBatchesPerStep: number;
  /** Passed to {@link GradientWorkerPool.create}. */
  readonly pool?: Omit<GradientWorkerPoolOptions, 'task' | 'parameters' | 'workers'>;
}

/**
 * The {@link GradientEngine} a trainer's step uses: with {@link resolveWorkerCount} = 1, or no
 * `spec`, the {@link InProcessGradientEngine} on `task` (no thread at all); otherwise a
 * {@link GradientWorkerPool} whose replicas are built from `spec` and whose parameters are
 * `task.namedVariables`. Close it when training ends.
 *
 * @example
 * const engine = await createGradientEngine({ task: { namedVariables: model.namedVariables(), lossAndMetrics },
 *   spec: { module: '@dpo-ts/lm', export: 'createGPTSFTTask', config }, workers: args.workers, microBatchesPerStep: 4 });
 * try { const { grads, microBatches } = await engine.computeGradients(batches, { stepIndex, step: { totalTokens } }); ... }
 * finally { await engine.close(); }
 */
export async function createGradientEngine<TBatch>(
  options: GradientEngineOptions<TBatch>,
): Promise<GradientEngine<TBatch>> {
  const workers = resolveWorkerCount(
    options.workers,
    options.microBatchesPerStep,
    undefined,
    trainableParameterCount(options.task.namedVariables),
  );
  if (workers === 1 || options.spec === undefined) return new InProcessGradientEngine(options.task);
  return GradientWorkerPool.create<TBatch>({
    ...options.pool,
    task: options.spec,
    parameters: options.task.namedVariables,
    workers,
  });
}
