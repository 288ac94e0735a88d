import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import {
  saveCheckpoint,
  type CheckpointContent,
  type CheckpointSavePoint,
  type LoadedCheckpoint,
} from './checkpoint.js';
import type { JsonValue } from './checkpoint-format.js';
import { acquireCheckpointLock, type CheckpointLock } from './checkpoint-lock.js';
import { recoverCheckpointDirectory } from './checkpoint-recovery.js';
import { resumeFromCheckpoint } from './checkpoint-resume.js';
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
  /**
   * The trainer kind (`'dpo'`, `'sft'`, ...) that writes `metadata.trainer`: resuming a
   * checkpoint another trainer wrote is refused, naming both.
   * @defaultValue undefined (not checked)
   */
  readonly trainer?: string;
  /** Refuse to resume a checkpoint without optimiser state. @defaultValue false */
  readonly requireOptimizerState?: boolean;
  /**
   * The model's configuration (architecture fields; leave out what only initialises, such as
   * seeds): saved in every checkpoint, and resuming a checkpoint saved with another is refused,
   * naming the first differing field. @defaultValue undefined (neither saved nor checked)
   */
  readonly modelConfig?: JsonValue;
  /** Passed to `saveCheckpoint` (crash tests kill the process at a chosen point). @defaultValue undefined */
  readonly onSavePoint?: (point: CheckpointSavePoint) => void | Promise<void>;
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
  /**
   * Receives each warning: a corrupt checkpoint skipped on resume, a stale lock taken over,
   * leftovers of a crashed save repaired, a checkpoint without checksums.
   * @defaultValue the progress reporter's log (none with `progress: false`); the warnings are
   *   in {@link TrainingLoopResult.warnings} either way
   */
  readonly onWarning?: (message: string) => void;
}

/** One entry of a loop's history. */
export interface HistoryEntry {
  /** Optimiser steps completed when logged (stepIndex + 1), TRL's `global_step`. */
  readonly step: number;
  /** The step's metrics by TRL name (`loss`, `grad_norm`, `learning_rate`, the trainer's own). */
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
  /** Every warning this call reported (see {@link TrainingLoopOptions.onWarning}). */
  readonly warnings: readonly string[];
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
 * With checkpoints, the loop first locks `checkpoint.dir` (one writer per directory, see
 * `acquireCheckpointLock`), repairs what a crashed save left (`recoverCheckpointDirectory`),
 * then resumes: it loads the newest checkpoint that verifies (checksums, structure, finite
 * values), falling back past corrupt ones with a warning, checks its trainer kind and optimiser
 * state, calls `checkpoint.restore` and continues with step index = the checkpoint's step. The
 * lock is released when the loop ends, however it ends. A resumed run is bit-identical to an uninterrupted one when
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
  const evalEvery =
    options.evalEvery === undefined ? undefined : requireInteger('evalEvery', options.evalEvery, { min: 1 });
  const warmup = requireInteger('leakCheckWarmupSteps', options.leakCheckWarmupSteps ?? 1, { min: 0 });
  const checkLeaks = options.checkTensorLeaks ?? true;
  const resume = options.resume ?? false;
  if (resume !== true && resume !== false && resume !== 'auto')
    throw new InvalidArgumentError('resume', 'true, false or "auto"', resume);
  const signal = options.signal;
  if (signal !== undefined && !isAbortSignal(signal))
    throw new InvalidArgumentError('signal', 'an AbortSignal (from new AbortController().signal)', signal);
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined) {
    if (typeof checkpoint.dir !== 'string' || checkpoint.dir.trim().length === 0)
      throw new InvalidArgumentError('checkpoint.dir', 'a non-empty path', checkpoint.dir);
    requireInteger('checkpoint.every', checkpoint.every, { min: 1 });
    if (checkpoint.keepLast !== undefined) requireInteger('checkpoint.keepLast', checkpoint.keepLast, { min: 1 });
  } else if (resume === true) {
    throw new InvalidArgumentError('resume', 'false or "auto" when no checkpoint options are given', resume);
  }
  const startTime = performance.now();
  const reporter =
    options.progress instanceof ProgressReporter
      ? options.progress
      : options.progress === false
        ? undefined
        : new ProgressReporter(totalSteps, options.progress);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    if (options.onWarning !== undefined) options.onWarning(message);
    else reporter?.log(`warning: ${message}`);
  };
  let lock: CheckpointLock | undefined;
  let startStep = { step: 0, from: undefined as string | undefined };
  try {
    if (checkpoint !== undefined) {
      lock = await acquireCheckpointLock(checkpoint.dir);
      lock.warnings.forEach(warn);
      (await recoverCheckpointDirectory(checkpoint.dir)).forEach(warn);
      const expectations = {
        trainer: checkpoint.trainer,
        requireOptimizerState: checkpoint.requireOptimizerState,
        modelConfig: checkpoint.modelConfig,
      };
      startStep = await resumeFromCheckpoint(checkpoint.dir, resume, expectations, checkpoint.restore, warn);
    }
  } catch (error) {
    await lock?.release();
    if (!(options.progress instanceof ProgressReporter)) reporter?.close();
    throw error;
  }
  if (startStep.from !== undefined)
    reporter?.log(`resumed from ${startStep.from} at step ${startStep.step}/${totalSteps}`);
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
    const saved = await saveCheckpoint(
      checkpoint!.dir,
      {
        ...content,
        ...(checkpoint!.modelConfig !== undefined ? { model: checkpoint!.modelConfig } : {}),
        step: completed,
      },
      { keepLast: checkpoint!.keepLast, ...(checkpoint!.onSavePoint ? { onSavePoint: checkpoint!.onSavePoint } : {}) },
    );
    lastCheckpoint = saved.path;
    lastSaved = completed;
  };
  try {
    for (let stepIndex = startStep.step; stepIndex < totalSteps; stepIndex++) {
      if (signal?.aborted) {
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
      if (
        checkpoint !== undefined &&
        (completed % checkpoint.every === 0 || (completed === totalSteps && (checkpoint.saveAtEnd ?? true)))
      ) {
        await save();
      }
    }
    if (signal?.aborted && completed < totalSteps) aborted = true;
    if (aborted && checkpoint !== undefined && (checkpoint.saveOnAbort ?? true) && completed > lastSaved) await save();
    if (aborted)
      reporter?.log(
        `aborted after step ${completed}/${totalSteps}${lastCheckpoint ? `; checkpoint ${lastCheckpoint}` : ''}`,
      );
  } finally {
    await lock?.release();
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
    warnings,
  };
}

function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return true;
  const candidate = value as { aborted?: unknown; addEventListener?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function'
  );
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
