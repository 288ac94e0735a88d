import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { createGradientEngine } from '../parallel/create-gradient-engine.js';
import type { GradientEngine } from '../parallel/gradient-engine.js';
import type { ParallelTaskSpec } from '../parallel/parallel-task.js';
import { resolveWorkerCount, trainableParameterCount } from '../parallel/worker-count.js';
import { engineWorkers } from '../training/parallel-training-arguments.js';
import type { PreferenceMicroBatch } from './preference-micro-batch-loss.js';
import type { ResolvedPreferenceTrainerConfig } from './preference-trainer-config.js';
import type { PreferenceTrainer } from './preference-trainer.js';
import { preferenceTaskSpec } from './preference-task.js';

/**
 * Worker threads a preference trainer's `train()` uses: `config.workers` capped by the
 * micro-batches per step (core's `resolveWorkerCount`). `'auto'` also falls back to 1 where an
 * explicit count is refused ({@link assertPreferenceWorkers}: no `scorerSpec`, `bco_pair`) and
 * for a policy under `AUTO_WORKERS_MIN_PARAMETERS` trainable parameters.
 */
export function preferenceWorkerCount(
  config: ResolvedPreferenceTrainerConfig,
  scorerSpec?: ParallelTaskSpec,
  parameters?: number,
): number {
  if (config.workers === 'auto' && (scorerSpec === undefined || config.loss.lossType.includes('bco_pair'))) return 1;
  return resolveWorkerCount(engineWorkers(config.workers), config.gradientAccumulationSteps, undefined, parameters);
}

/**
 * Refuses, at construction, an explicit `workers` count > 1 a preference trainer cannot honour
 * with the same numbers as one thread (`'auto'` falls back to 1 instead):
 * - no `scorerSpec`: the modality cannot rebuild its policy in a worker;
 * - `bco_pair` among the loss types: its running mean is updated after every micro-batch and
 *   read by the next one's loss; replicas compute a step's micro-batches at once, so they would
 *   read a stale mean.
 * @throws InvalidArgumentError naming `config.workers`.
 */
export function assertPreferenceWorkers(
  config: ResolvedPreferenceTrainerConfig,
  scorerSpec: ParallelTaskSpec | undefined,
): void {
  if (config.workers === 'auto' || preferenceWorkerCount(config) === 1) return;
  if (scorerSpec === undefined)
    throw new InvalidArgumentError(
      'config.workers',
      'at most 1 for a policy the trainer cannot rebuild in a worker thread (no worker scorer spec)',
      config.workers,
    );
  if (config.loss.lossType.includes('bco_pair'))
    throw new InvalidArgumentError(
      'config.workers',
      "1 with lossType 'bco_pair' (its running reward mean changes between micro-batches of a step)",
      config.workers,
    );
}

/**
 * Starts the worker pool of `trainer` (a {@link PreferenceTrainer}) for `train()`: replicas of
 * the policy scorer built from `scorerSpec` in core's {@link createPreferenceTask}, running the
 * trainer's own micro-batch loss; parameters are the policy's variables. Returns undefined (the
 * main thread computes) when one worker is resolved ({@link preferenceWorkerCount}). The
 * caller closes the engine.
 */
export async function createPreferenceEngine<TBatch>(
  trainer: PreferenceTrainer<TBatch>,
  scorerSpec: ParallelTaskSpec | undefined,
): Promise<GradientEngine<PreferenceMicroBatch<TBatch>> | undefined> {
  const trainable = new Map([...trainer.policy.namedVariables()].filter(([, v]) => v.trainable));
  const workers = preferenceWorkerCount(trainer.config, scorerSpec, trainableParameterCount(trainable));
  if (workers === 1 || scorerSpec === undefined) return undefined;
  return createGradientEngine<PreferenceMicroBatch<TBatch>>({
    task: { namedVariables: trainable, lossAndMetrics: trainer.microBatchLoss },
    spec: preferenceTaskSpec({ scorer: scorerSpec, loss: trainer.config.loss }),
    workers,
    microBatchesPerStep: trainer.config.gradientAccumulationSteps,
  });
}
