import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { CheckpointContent, LoadedCheckpoint } from './checkpoint.js';
import type { JsonValue } from './checkpoint-format.js';
import type { ProgressOptions, ProgressReporter } from './progress.js';
import {
  runTrainingLoop,
  type HistoryEntry,
  type StepMetrics,
  type TrainingLoopResult,
} from './training-loop.js';
import type { ResolvedTrainingArguments } from './training-arguments.js';

/** Options of a trainer's `train()`: where and how a run is kept and shown. */
export interface TrainOptions {
  /** Checkpoint directory (created if absent); omitted: no checkpoints. @defaultValue undefined */
  readonly checkpointDir?: string;
  /**
   * Resume from the newest checkpoint in `checkpointDir`: `'auto'` when there is one, `true`
   * requires one, `false` refuses a directory that already holds checkpoints (see core's
   * `runTrainingLoop`).
   * @defaultValue false
   */
  readonly resume?: boolean | 'auto';
  /**
   * Progress lines with ETA ({@link ProgressReporter}), their options, or `false`.
   * @defaultValue the trainer's: a line every `loggingSteps` steps on stderr with its headline
   *   metrics for trainers configured by {@link TrainingArguments}
   */
  readonly progress?: ProgressOptions | ProgressReporter | false;
  /** Stops after the step in progress; the run saves a checkpoint and can resume. */
  readonly signal?: AbortSignal;
  /** Called after every step with its metrics (for custom logging). */
  readonly onStep?: (entry: HistoryEntry) => void;
  /**
   * Receives warnings (a corrupt checkpoint skipped on resume, a stale lock taken over, a
   * crashed save repaired). @defaultValue the progress reporter's log; see `runTrainingLoop`
   */
  readonly onWarning?: (message: string) => void;
}

/**
 * `train()` options of trainers that take their checkpoint and evaluation periods with the
 * call rather than from their config (the reward, PPO and DDPO trainers); see
 * {@link runScheduledTrainerLoop}.
 */
export interface ScheduledTrainOptions extends Pick<TrainOptions, 'resume' | 'signal' | 'onWarning'> {
  /** Save every `every` steps to `dir` (keep the newest `keepLast`). */
  readonly checkpoint?: { readonly dir: string; readonly every: number; readonly keepLast?: number };
  /** Evaluate every this many steps (when the trainer has something to evaluate). */
  readonly evalEvery?: number;
  /** Progress lines, their options, or `false`. @defaultValue the trainer's; `{}` (progress lines on stderr) when it sets none */
  readonly progress?: ProgressOptions | ProgressReporter | false;
}

/** What a trainer plugs into {@link runTrainerLoop}: its step, evaluation, checkpoint content and schedule. */
export interface TrainerLoopParts {
  /** Optimiser steps of the whole run. */
  readonly totalSteps: number;
  /** One training step, 0-based; it must leave no tensor behind (see {@link runTrainingLoop}). */
  readonly step: (stepIndex: number) => Promise<StepMetrics>;
  /** Evaluation; it runs every `evalEvery` steps when both are given. */
  readonly evaluate?: (() => Promise<StepMetrics>) | undefined;
  /** Steps between evaluations. @defaultValue undefined (no evaluation) */
  readonly evalEvery?: number | undefined;
  /** Steps between checkpoints when the options give a `checkpointDir`. */
  readonly saveEvery?: number | undefined;
  /** Checkpoints kept. @defaultValue undefined (all) */
  readonly keepLast?: number | undefined;
  /** Everything a checkpoint holds (weights, optimiser state, metadata). */
  readonly save: () => Promise<CheckpointContent>;
  /** Puts a loaded checkpoint back. */
  readonly restore: (checkpoint: LoadedCheckpoint) => void;
  /**
   * The trainer's kind, as its checkpoints' `metadata.trainer` says (`'dpo'`, `'sft'`, ...):
   * resuming another trainer's checkpoint is refused, naming both.
   * @defaultValue undefined (not checked)
   */
  readonly trainer?: string | undefined;
  /**
   * Refuse to resume a checkpoint without optimiser state (`optimizer: null`): every dpo-ts
   * trainer saves its AdamW state, so such a checkpoint was not written by it.
   * @defaultValue true
   */
  readonly requireOptimizerState?: boolean | undefined;
  /**
   * The model's architecture (fields that change what the weights compute but not their
   * shapes: head count, norm epsilon, group count...): saved in every checkpoint; resuming one
   * saved with another is refused, naming the field. @defaultValue undefined (not checked)
   */
  readonly modelConfig?: JsonValue | undefined;
  /** Progress when {@link TrainOptions.progress} is not given. @defaultValue runTrainingLoop's (`{}`) */
  readonly progress?: ProgressOptions | ProgressReporter | false | undefined;
}

/**
 * The schedule part of {@link TrainerLoopParts} for a trainer configured by
 * {@link TrainingArguments}: `totalSteps`, evaluation every `evalSteps`, checkpoints every
 * `saveSteps` keeping `saveTotalLimit`, and a progress line every `loggingSteps` steps showing
 * `headline` metrics.
 */
export function trainingArgumentsLoop(
  args: ResolvedTrainingArguments,
  headline: readonly string[],
): Pick<TrainerLoopParts, 'totalSteps' | 'evalEvery' | 'saveEvery' | 'keepLast' | 'progress'> {
  return {
    totalSteps: args.totalSteps,
    evalEvery: args.evalSteps,
    saveEvery: args.saveSteps,
    keepLast: args.saveTotalLimit,
    progress: { everySteps: args.loggingSteps, metrics: headline },
  };
}

/**
 * Runs {@link runTrainingLoop} with a trainer's parts and the user's {@link TrainOptions}, the
 * way every dpo-ts trainer's `train()` does: `onStep` after each step, evaluation when the
 * trainer has one and a period, checkpoints in `checkpointDir` every `saveEvery` steps,
 * `resume` (default false) of a checkpoint that this trainer kind wrote and that holds optimiser
 * state, the trainer's default progress unless the user gives one, abort through `signal`.
 *
 * @throws InvalidArgumentError for `checkpointDir: ''`, a `resume` other than true, false or
 *   "auto", a `signal` that is no AbortSignal, naming the option and the value.
 * @example
 * return runTrainerLoop({ ...trainingArgumentsLoop(this.config, ['loss']), step, evaluate, save, restore }, options);
 */
export async function runTrainerLoop(parts: TrainerLoopParts, options: TrainOptions = {}): Promise<TrainingLoopResult> {
  const progress = options.progress ?? parts.progress;
  if (options.checkpointDir !== undefined && (typeof options.checkpointDir !== 'string' || options.checkpointDir.trim().length === 0)) {
    throw new InvalidArgumentError('checkpointDir', 'a non-empty directory path (or omit it for no checkpoints)', options.checkpointDir);
  }
  return runTrainingLoop({
    totalSteps: parts.totalSteps,
    step: async (stepIndex) => {
      const metrics = await parts.step(stepIndex);
      options.onStep?.({ step: stepIndex + 1, metrics });
      return metrics;
    },
    ...(parts.evaluate !== undefined && parts.evalEvery !== undefined ? { evaluate: parts.evaluate, evalEvery: parts.evalEvery } : {}),
    ...(options.checkpointDir !== undefined
      ? {
          checkpoint: {
            dir: options.checkpointDir,
            every: parts.saveEvery!,
            ...(parts.keepLast !== undefined ? { keepLast: parts.keepLast } : {}),
            save: parts.save,
            restore: parts.restore,
            requireOptimizerState: parts.requireOptimizerState ?? true,
            ...(parts.trainer !== undefined ? { trainer: parts.trainer } : {}),
            ...(parts.modelConfig !== undefined ? { modelConfig: parts.modelConfig } : {}),
          },
        }
      : {}),
    resume: options.resume ?? false,
    ...(progress !== undefined ? { progress } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
  });
}

/**
 * {@link runTrainerLoop} for a trainer whose checkpoint and evaluation periods come with the
 * call ({@link ScheduledTrainOptions}: `checkpoint: { dir, every, keepLast }`, `evalEvery`)
 * rather than from its config.
 */
export async function runScheduledTrainerLoop(
  parts: Omit<TrainerLoopParts, 'evalEvery' | 'saveEvery' | 'keepLast'>,
  options: ScheduledTrainOptions = {},
): Promise<TrainingLoopResult> {
  const { checkpoint, evalEvery, ...run } = options;
  return runTrainerLoop(
    { ...parts, evalEvery, saveEvery: checkpoint?.every, keepLast: checkpoint?.keepLast },
    { ...run, checkpointDir: checkpoint?.dir },
  );
}
