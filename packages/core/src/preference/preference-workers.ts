import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { createGradientEngine } from '../parallel/create-gradient-engine.js';
import type { GradientEngine } from '../parallel/gradient-engine.js';
import type { ParallelTaskSpec } from '../parallel/parallel-task.js';
import { resolveWorkerCount, trainableParameterCount } from '../parallel/worker-count.js';
import { engineWorkers } from '../training/parallel-training-arguments.js';
import type { PreferenceMicroBatch } from './preference-micro-batch-loss.js';
import type { ResolvedPreferenceTrainerConfig } from './preference-trainer-config.js';
import type { PreferenceTrainer } from './preference-trainer.js';
import { preferenceTaskSpec, REFERENCE_VARIABLE_PREFIX } from './preference-task.js';

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

/** What {@link createPreferenceEngine} started. */
export interface PreferenceEngine<TBatch> {
  /** The worker pool; the caller closes it. */
  readonly engine: GradientEngine<PreferenceMicroBatch<TBatch>>;
  /**
   * Whether every worker holds a frozen reference replica, so the trainer sends micro-batches
   * without reference scores (`REFERENCE_ON_REPLICA`) and the workers compute them.
   */
  readonly referenceOnReplicas: boolean;
}

/**
 * Starts the worker pool of `trainer` (a {@link PreferenceTrainer}) for `train()`: replicas of
 * the policy scorer built from `scorerSpec` in core's {@link createPreferenceTask}, running the
 * trainer's own micro-batch loss; parameters are the policy's variables. With `referenceSpec`
 * and a frozen reference model (`reference.kind === 'model'`), each worker also builds a
 * reference replica from it and the reference's variables join the published weights (under
 * `reference/`, so a TR-DPO sync reaches the replicas at the next step): the reference forward
 * passes then run in parallel instead of serially on the main thread. A cache or no reference
 * stays on the main thread (a cache read costs nothing).
 *
 * Returns undefined (the main thread computes) when one worker is resolved
 * ({@link preferenceWorkerCount}). The caller closes the engine.
 */
export async function createPreferenceEngine<TBatch>(
  trainer: PreferenceTrainer<TBatch>,
  scorerSpec: ParallelTaskSpec | undefined,
  referenceSpec?: ParallelTaskSpec,
): Promise<PreferenceEngine<TBatch> | undefined> {
  const trainable = new Map([...trainer.policy.namedVariables()].filter(([, v]) => v.trainable));
  const workers = preferenceWorkerCount(trainer.config, scorerSpec, trainableParameterCount(trainable));
  if (workers === 1 || scorerSpec === undefined) return undefined;
  const source = trainer.reference;
  const referenceOnReplicas = referenceSpec !== undefined && source.kind === 'model';
  const namedVariables = new Map(trainable);
  if (source.kind === 'model' && referenceOnReplicas)
    for (const [name, variable] of source.scorer.namedVariables())
      namedVariables.set(`${REFERENCE_VARIABLE_PREFIX}${name}`, variable);
  const engine = await createGradientEngine<PreferenceMicroBatch<TBatch>>({
    task: { namedVariables, lossAndMetrics: trainer.microBatchLoss },
    spec: preferenceTaskSpec({
      scorer: scorerSpec,
      loss: trainer.config.loss,
      ...(referenceOnReplicas ? { reference: referenceSpec } : {}),
    }),
    workers,
    microBatchesPerStep: trainer.config.gradientAccumulationSteps,
  });
  return { engine, referenceOnReplicas };
}
