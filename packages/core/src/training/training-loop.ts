import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import {
  findLatestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointContent,
  type LoadedCheckpoint,
} from './checkpoint.js';
import { assertFiniteMetrics } from './non-finite-guard.js';
import { ProgressReporter, type ProgressOptions } from './progress.js';

/** Metrics of one step or evaluation, TRL's keys (`loss`, `grad_norm`, `rewards/margins`...). */
export type StepMetrics = Readonly<Record<string, number>>;

/** Checkpointing in {@link runTrainingLoop}. */
export interface TrainingLoopCheckpointOptions {
  /** Checkpoint directory (created if absent); see `saveCheckpoint` for its layout. */
  readonly dir: string;
  /** Save after every `every` completed steps. */
  readonly every: number;
  /** Keep the newest `keepLast` checkpoints. @defaultValue undefined (keep all) */
  readonly keepLast?: number;
  /** Also save after the last step when it is not a multiple of `every`. @defaultValue true */
  readonly saveAtEnd?: boolean;
  /** Save the last completed step when the loop is aborted through `signal`. @defaultValue true */
  readonly saveOnAbort?: boolean;
  /**
   * Everything to save after `completedSteps` steps: weights, `await optimizer.state()`, every
   * Rng's `state()`, JSON metadata (data position, loss state). The loop adds the step.
   */
  readonly save: (completedSteps: number) => CheckpointContent | Promise<CheckpointContent>;
  /**
   * Puts a loaded checkpoint back: `restoreWeights(...)`, `optimizer.loadState(...)`,
   * `Rng.fromState(...)`, the metadata. Called once, before the first step, when resuming.
   */
  readonly restore: (checkpoint: LoadedCheckpoint) => void | Promise<void>;
}

/** Options of {@link runTrainingLoop}. */
export interface TrainingLoopOptions {
  /** Optimiser steps of the whole run (resumed runs count the steps before the checkpoint too). */
  readonly totalSteps: number;
  /**
   * Performs one optimisation step, 0-based `stepIndex` (forward, backward, clip, optimiser
   * update: the trainer does all of it) and returns its metrics, usually with `loss`,
   * `grad_norm` and `learning_rate`. It must leave no new tensor alive (see `checkTensorLeaks`).
   */
  readonly step: (stepIndex: number) => StepMetrics | Promise<StepMetrics>;
  /** Evaluation, called with the completed step count every `evalEvery` steps. */
  readonly evaluate?: (completedSteps: number) => StepMetrics | Promise<StepMetrics>;
  /** @defaultValue undefined (no evaluation) */
  readonly evalEvery?: number;
  /** @defaultValue undefined (no checkpoints) */
  readonly checkpoint?: TrainingLoopCheckpointOptions;
  /**
   * `'auto'`: resume from the latest checkpoint in `checkpoint.dir` when there is one.
   * `true`: the same, and it is an error when there is none. `false`: start at step 0; it is
   * an error when `checkpoint.dir` already holds checkpoints (delete them, or resume), so two
   * runs never mix in one directory.
   * @defaultValue false
   */
  readonly resume?: boolean | 'auto';
  /** Progress lines (options, or a reporter of your own), or `false` for none. @defaultValue `{}` (stderr) */
  readonly progress?: ProgressOptions | ProgressReporter | false;
  /** Metric keys checked for NaN/Inf after every step and evaluation. @defaultValue every key */
  readonly finiteMetrics?: readonly string[];
  /**
   * Throw when a step (or an evaluation) leaves more tensors alive than it found, after the
   * first `leakCheckWarmupSteps` steps of this run (and the first evaluation), which may create
   * lazily-built state.
   * @defaultValue true
   */
  readonly checkTensorLeaks?: boolean;
  /** @defaultValue 1 */
  readonly leakCheckWarmupSteps?: number;
  /** Aborting stops the loop after the step in progress (see {@link TrainingLoopResult.aborted}). */
  readonly signal?: AbortSignal;
}

/** One entry of a loop's history. */
export interface HistoryEntry {
  /** Optimiser steps completed when logged (stepIndex + 1), TRL's `global_step`. */
  readonly step: number;
  readonly metrics: StepMetrics;
}

/** What {@link runTrainingLoop} returns. */
export interface TrainingLoopResult {
  /** Metrics of every step this call ran. */
  readonly history: readonly HistoryEntry[];
  /** Metrics of every evaluation this call ran. */
  readonly evalHistory: readonly HistoryEntry[];
  /** Completed steps when this call began: the resumed checkpoint's step, or 0. */
  readonly startStep: number;
  /** Completed steps when it ended (`totalSteps` unless aborted). */
  readonly completedSteps: number;
  /** True when `signal` stopped the loop early; the run can resume from `lastCheckpoint`. */
  readonly aborted: boolean;
  /** The checkpoint resumed from, if any. */
  readonly resumedFrom: string | undefined;
  /** The last checkpoint this call wrote, if any. */
  readonly lastCheckpoint: string | undefined;
  /** Seconds from start to end of this call, evaluation and checkpoints included. */
  readonly wallTimeSeconds: number;
  /** Steps this call ran divided by `wallTimeSeconds`. */
  readonly stepsPerSecond: number;
}

/**
 * The loop every trainer runs: steps, evaluation, progress, checkpoints, resume, a NaN guard,
 * a tensor-leak check and abort, around a `step` callback that does the actual optimisation.
 *
 * Order after each step: non-finite check (a `NonFiniteError` stops the loop before anything
 * is logged or saved, so the newest checkpoint on disk is the last good one), leak check,
 * history and progress, evaluation when due, checkpoint when due. Errors from callbacks
 * propagate unchanged; the progress reporter is closed either way.
 *
 * Resuming loads the latest checkpoint, calls `checkpoint.restore` and continues with step
 * index = the checkpoint's step. A resumed run is bit-identical to an uninterrupted one when
 * `save`/`restore` cover all state: weights, optimiser moments and steps, every Rng, the data
 * position.
 *
 * @example
 * const result = await runTrainingLoop({
 *   totalSteps: 1000,
 *   step: async (i) => trainer.trainStep(i), // returns { loss, grad_norm, learning_rate, ... }
 *   checkpoint: { dir: 'runs/dpo', every: 100, keepLast: 3, save: trainer.snapshot, restore: trainer.restore },
 *   resume: 'auto',
 * });
 */
export async function runTrainingLoop(options: TrainingLoopOptions): Promise<TrainingLoopResult> {
  const totalSteps = requireInteger('totalSteps', options.totalSteps, { min: 1 });
  const evalEvery = options.evalEvery === undefined ? undefined : requireInteger('evalEvery', options.evalEvery, { min: 1 });
  const warmup = requireInteger('leakCheckWarmupSteps', options.leakCheckWarmupSteps ?? 1, { min: 0 });
  const checkLeaks = options.checkTensorLeaks ?? true;
  const resume = options.resume ?? false;
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined) {
    requireInteger('checkpoint.every', checkpoint.every, { min: 1 });
    if (checkpoint.keepLast !== undefined) requireInteger('checkpoint.keepLast', checkpoint.keepLast, { min: 1 });
  } else if (resume === true) {
    throw new InvalidArgumentError('resume', 'false or "auto" when no checkpoint options are given', resume);
  }
  const startTime = performance.now();
  const startStep = await resumeIfAsked(checkpoint, resume);
  const reporter = options.progress instanceof ProgressReporter ? options.progress : options.progress === false ? undefined : new ProgressReporter(totalSteps, options.progress);
  if (startStep.from !== undefined) reporter?.log(`resumed from ${startStep.from} at step ${startStep.step}/${totalSteps}`);
  reporter?.start(startStep.step);

  const history: HistoryEntry[] = [];
  const evalHistory: HistoryEntry[] = [];
  let completed = startStep.step;
  let lastSaved = startStep.step;
  let lastCheckpoint: string | undefined;
  let aborted = false;
  let evaluations = 0;
  const save = async (): Promise<void> => {
    const content = await checkpoint!.save(completed);
    const saved = await saveCheckpoint(checkpoint!.dir, { ...content, step: completed }, { keepLast: checkpoint!.keepLast });
    lastCheckpoint = saved.path;
    lastSaved = completed;
  };
  try {
    for (let stepIndex = startStep.step; stepIndex < totalSteps; stepIndex++) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const before = tf.memory().numTensors;
      const metrics = await options.step(stepIndex);
      validateMetrics(metrics, `step(${stepIndex})`);
      assertFiniteMetrics(metrics, stepIndex, options.finiteMetrics);
      if (checkLeaks && stepIndex - startStep.step >= warmup) assertNoLeak(before, `step ${stepIndex}`);
      completed = stepIndex + 1;
      history.push({ step: completed, metrics });
      reporter?.update(completed, metrics);
      if (options.evaluate !== undefined && evalEvery !== undefined && completed % evalEvery === 0) {
        const evaluate = options.evaluate;
        const beforeEval = tf.memory().numTensors;
        const evalMetrics = await evaluate(completed);
        validateMetrics(evalMetrics, `evaluate(${completed})`);
        assertFiniteMetrics(evalMetrics, stepIndex, options.finiteMetrics);
        if (checkLeaks && evaluations > 0) assertNoLeak(beforeEval, `evaluate(${completed})`);
        evaluations += 1;
        evalHistory.push({ step: completed, metrics: evalMetrics });
        reporter?.evaluation(completed, evalMetrics);
      }
      if (checkpoint !== undefined && (completed % checkpoint.every === 0 || (completed === totalSteps && (checkpoint.saveAtEnd ?? true)))) {
        await save();
      }
    }
    if (options.signal?.aborted && completed < totalSteps) aborted = true;
    if (aborted && checkpoint !== undefined && (checkpoint.saveOnAbort ?? true) && completed > lastSaved) await save();
    if (aborted) reporter?.log(`aborted after step ${completed}/${totalSteps}${lastCheckpoint ? `; checkpoint ${lastCheckpoint}` : ''}`);
  } finally {
    if (!(options.progress instanceof ProgressReporter)) reporter?.close();
  }
  const wallTimeSeconds = (performance.now() - startTime) / 1000;
  return {
    history,
    evalHistory,
    startStep: startStep.step,
    completedSteps: completed,
    aborted,
    resumedFrom: startStep.from,
    lastCheckpoint,
    wallTimeSeconds,
    stepsPerSecond: wallTimeSeconds > 0 ? history.length / wallTimeSeconds : 0,
  };
}

async function resumeIfAsked(
  checkpoint: TrainingLoopCheckpointOptions | undefined,
  resume: boolean | 'auto',
): Promise<{ step: number; from: string | undefined }> {
  if (checkpoint === undefined) return { step: 0, from: undefined };
  if (resume === false) {
    const existing = await listCheckpoints(checkpoint.dir);
    if (existing.length > 0) {
      throw new DPOTSError(
        `checkpoint directory ${checkpoint.dir} already holds ${existing.length} checkpoint(s) (latest ${existing.at(-1)!.path}); ` +
          `pass resume: 'auto' to continue that run, or delete them / choose another directory to start afresh`,
      );
    }
    return { step: 0, from: undefined };
  }
  const latest = await findLatestCheckpoint(checkpoint.dir);
  if (latest === undefined) {
    if (resume === true) throw new DPOTSError(`resume: true, but ${checkpoint.dir} holds no checkpoint`);
    return { step: 0, from: undefined };
  }
  const loaded = await loadCheckpoint(latest);
  await checkpoint.restore(loaded);
  return { step: loaded.step, from: loaded.path };
}

/** Throws when more tensors are alive than `before`. */
function assertNoLeak(before: number, what: string): void {
  const leaked = tf.memory().numTensors - before;
  if (leaked > 0) {
    throw new DPOTSError(
      `${what} leaked ${leaked} tensor${leaked === 1 ? '' : 's'} (tf.memory().numTensors ${before} -> ${before + leaked}): ` +
        `a step must keep no tensors beyond variables and optimizer state; run it in tf.tidy and dispose what it returns ` +
        `(or set checkTensorLeaks: false)`,
    );
  }
}

function validateMetrics(metrics: unknown, source: string): asserts metrics is StepMetrics {
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
    throw new InvalidArgumentError(`${source}'s result`, 'an object of metric numbers', metrics);
  }
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') throw new InvalidArgumentError(`${source}'s metrics["${key}"]`, 'a number', value);
  }
}
