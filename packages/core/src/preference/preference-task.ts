import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { PreferenceLossState } from '../losses/preference-loss.js';
import { resolvePreferenceLossConfig, type PreferenceLossConfig } from '../losses/preference-loss-config.js';
import { createPreferenceLossState } from '../losses/preference-loss-state.js';
import type { ParallelTask, ParallelTaskSpec } from '../parallel/parallel-task.js';
import type { Checkpointable, PreferenceScorer } from '../surrogate/preference-scorer.js';
import type { JsonValue } from '../training/checkpoint-format.js';
import { preferenceMicroBatchLoss, type PreferenceMicroBatch } from './preference-micro-batch-loss.js';

/**
 * A policy scorer rebuilt in a worker thread by a {@link PreferenceScorerFactory}: the scorer
 * (its `namedVariables` are the replica's parameters) and how to free what it built.
 */
export interface PreferenceScorerReplica<TBatch> {
  /** The replica's policy scorer; its `namedVariables` receive the main thread's weights before each step. */
  readonly scorer: PreferenceScorer<TBatch> & Checkpointable;
  /** Frees every tensor the factory built (the replica's model); called once when the worker shuts down. */
  dispose(): void;
}

/**
 * The signature of a policy-scorer factory named by {@link PreferenceTaskConfig.scorer}: builds
 * the modality's scorer on a fresh model from JSON (lm: `createGPTPreferenceScorer`; diffusion:
 * `createDenoiserPreferenceScorer`). Its weights do not matter (the engine overwrites them);
 * its variables' names, shapes and order must be the main thread's policy's, and its dropout
 * must derive from `ScoreContext.microBatch` so every thread draws the same masks.
 */
export type PreferenceScorerFactory<TBatch> = (
  config: JsonValue,
) => PreferenceScorerReplica<TBatch> | Promise<PreferenceScorerReplica<TBatch>>;

/** Configuration of {@link createPreferenceTask}: JSON, so it can build the replica in a worker. */
export type PreferenceTaskConfig = {
  /** How the worker builds the policy scorer (a {@link PreferenceScorerFactory}). */
  readonly scorer: ParallelTaskSpec;
  /** The resolved preference loss of the trainer (`config.loss`). */
  readonly loss: Partial<PreferenceLossConfig>;
  /**
   * How the worker builds a frozen reference replica (a {@link PreferenceScorerFactory} spec
   * for the reference model's architecture; every variable is set `trainable: false` and listed
   * under {@link REFERENCE_VARIABLE_PREFIX}). The worker scores micro-batches whose `reference`
   * is `REFERENCE_ON_REPLICA` with it, so the reference forward passes run in the workers
   * instead of serially on the main thread. Omitted: no reference replica.
   * @defaultValue undefined
   */
  readonly reference?: ParallelTaskSpec;
};

/** Name prefix of a reference replica's variables in the task's `namedVariables` (as in checkpoints). */
export const REFERENCE_VARIABLE_PREFIX = 'reference/';

/** The step-wide JSON the preference task reads: the loss state, fixed for the step. */
export type PreferenceStepJSON = {
  /** The main thread's loss state (BCO's running reward mean) for this step; absent: a fresh state. */
  readonly lossState?: PreferenceLossState;
} | null;

/**
 * The data-parallel replica of a preference trainer's step: a worker builds the policy scorer
 * from `config.scorer` and runs {@link preferenceMicroBatchLoss} on each assigned
 * {@link PreferenceMicroBatch} (policy scores on the tape against the reference scores that
 * travelled with the micro-batch), the very function the main thread runs with one worker.
 * The loss state comes from `context.step.lossState` (a fresh state when absent). With
 * `config.reference`, the worker also holds a frozen reference replica and computes the
 * reference scores itself (the main thread then sends no scores, only the weights).
 *
 * Loaded by core's worker threads through {@link preferenceTaskSpec}; not called directly.
 */
export async function createPreferenceTask<TBatch>(
  config: PreferenceTaskConfig,
): Promise<ParallelTask<PreferenceMicroBatch<TBatch>>> {
  const replica = await buildScorer<TBatch>(config.scorer, 'config.scorer');
  const reference =
    config.reference === undefined ? undefined : await buildScorer<TBatch>(config.reference, 'config.reference');
  const namedVariables = new Map(replica.scorer.namedVariables());
  for (const [name, variable] of reference?.scorer.namedVariables() ?? []) {
    variable.trainable = false;
    namedVariables.set(`${REFERENCE_VARIABLE_PREFIX}${name}`, variable);
  }
  const loss = resolvePreferenceLossConfig(config.loss);
  return {
    namedVariables,
    lossAndMetrics: preferenceMicroBatchLoss(
      replica.scorer,
      loss,
      (context) => (context.step as PreferenceStepJSON)?.lossState ?? createPreferenceLossState(),
      reference?.scorer,
    ),
    dispose: () => {
      replica.dispose();
      reference?.dispose();
    },
  };
}

/** Imports the factory `spec` names and builds its scorer replica. */
async function buildScorer<TBatch>(spec: ParallelTaskSpec, label: string): Promise<PreferenceScorerReplica<TBatch>> {
  const { module, export: name, config } = spec;
  const exports = (await import(module)) as Record<string, unknown>;
  const factory = exports[name];
  if (typeof factory !== 'function')
    throw new InvalidArgumentError(`${label}.export`, `the name of a function exported by ${module}`, name);
  return (factory as PreferenceScorerFactory<TBatch>)(config);
}

/** The spec that builds {@link createPreferenceTask}(config) in each worker of a core `GradientWorkerPool`. */
export function preferenceTaskSpec(config: PreferenceTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/core/preference', export: 'createPreferenceTask', config: config as unknown as JsonValue };
}
