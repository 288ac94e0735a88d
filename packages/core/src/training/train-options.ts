import { evalPrefixed } from '../metrics/eval-metrics.js';
import type { CheckpointContent, LoadedCheckpoint } from './checkpoint.js';
import type { JsonValue } from './checkpoint-format.js';
import type { ProgressOptions, ProgressReporter } from './progress.js';
import { runTrainingLoop, type StepMetrics, type TrainingLoopResult } from './training-loop.js';
import type { ResolvedTrainingArguments } from './training-arguments.js';

/** Where and how often a run saves checkpoints, and whether it continues one: `train({ checkpoint })`. */
export interface TrainCheckpointOptions {
  /** Checkpoint directory (created if absent). */
  readonly dir: string;
  /** Save every this many optimiser steps (and after the last). @defaultValue the trainer's `saveSteps` (500) */
  readonly every?: number;
  /** Keep only the newest this many checkpoints. @defaultValue the trainer's `saveTotalLimit` (keep all) */
  readonly keepLast?: number;
  /**
   * Resume from the newest checkpoint in `dir`: `'auto'` when there is one, `true` requires one,
   * `false` refuses a directory that already holds checkpoints (see core's `runTrainingLoop`).
   * @defaultValue false
   */
  readonly resume?: boolean | 'auto';
}

/** What `onLog` receives: the metrics of a training step or of an evaluation. */
export interface TrainLogEntry {
  /** Optimiser steps completed (TRL's `global_step`). */
  readonly step: number;
  /** `'train'` after a step; `'eval'` after an evaluation, whose metric keys carry TRL's `eval_` prefix. */
  readonly split: 'train' | 'eval';
  /** The step's or the evaluation's metrics, by TRL's names (`loss`, `rewards/margins`, ...). */
  readonly metrics: StepMetrics;
}

/**
 * Options of every trainer's `train()` (the same for SFT, DPO, Diffusion-SFT, Diffusion-DPO,
 * reward, PPO and DDPO): checkpoints, a callback for each step's and evaluation's metrics,
 * progress lines, abort.
 * @example
 * await trainer.train({ checkpoint: { dir: 'runs/dpo', every: 100, keepLast: 3, resume: 'auto' }, onLog: (entry) => log.push(entry) });
 */
export interface TrainOptions {
  /** Save checkpoints (and resume). @defaultValue undefined (no checkpoints) */
  readonly checkpoint?: TrainCheckpointOptions;
  /** Called with the metrics of every step and every evaluation (`eval_` keys), for the caller's own logging. */
  readonly onLog?: (entry: TrainLogEntry) => void;
  /**
   * Progress lines with ETA ({@link ProgressReporter}), their options (e.g. another `stream`), or
   * `false` for none. Library code writes nowhere else.
   * @defaultValue the trainer's: a line every `loggingSteps` steps on stderr with its headline metrics
   */
  readonly progress?: ProgressOptions | ProgressReporter | false;
  /** Stops after the step in progress; the run saves a checkpoint and can resume. */
  readonly signal?: AbortSignal;
  /**
   * Receives warnings (a corrupt checkpoint skipped on resume, a stale lock taken over, a
   * crashed save repaired). @defaultValue the progress reporter's log; see `runTrainingLoop`
   */
  readonly onWarning?: (message: string) => void;
}

export { evalPrefixed };

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
  /** Steps between checkpoints when the options give a `checkpoint` without `every`. */
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
  /** Progress when {@link TrainOptions.progress} is not given. @defaultValue runTrainingLoop's (`{}`, stderr) */
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
 * way every dpo-ts trainer's `train()` does: `onLog` after each step and evaluation, evaluation
 * when the trainer has one and a period, checkpoints in `checkpoint.dir` every
 * `checkpoint.every` (default: the trainer's `saveEvery`, else 500) steps, `checkpoint.resume`
 * (default false) of a checkpoint that this trainer kind wrote and that holds optimiser state,
 * the trainer's default progress unless the user gives one, abort through `signal`.
 *
 * @throws InvalidArgumentError for `checkpoint.dir: ''`, a `resume` other than true, false or
 *   "auto", a `signal` that is no AbortSignal, naming the option and the value (see
 *   `runTrainingLoop`).
 * @example
 * return runTrainerLoop({ ...trainingArgumentsLoop(this.config, ['loss']), step, evaluate, save, restore }, options);
 */
export async function runTrainerLoop(parts: TrainerLoopParts, options: TrainOptions = {}): Promise<TrainingLoopResult> {
  const progress = options.progress ?? parts.progress;
  const { checkpoint, onLog } = options;
  const evaluate = parts.evaluate;
  const keepLast = checkpoint?.keepLast ?? parts.keepLast;
  return runTrainingLoop({
    totalSteps: parts.totalSteps,
    step: async (stepIndex) => {
      const metrics = await parts.step(stepIndex);
      onLog?.({ step: stepIndex + 1, split: 'train', metrics });
      return metrics;
    },
    ...(evaluate !== undefined && parts.evalEvery !== undefined
      ? {
          evaluate: async (completedSteps: number) => {
            const metrics = await evaluate();
            onLog?.({ step: completedSteps, split: 'eval', metrics: evalPrefixed(metrics) });
            return metrics;
          },
          evalEvery: parts.evalEvery,
        }
      : {}),
    ...(checkpoint !== undefined
      ? {
          checkpoint: {
            dir: checkpoint.dir,
            every: checkpoint.every ?? parts.saveEvery ?? DEFAULT_SAVE_EVERY,
            ...(keepLast !== undefined ? { keepLast } : {}),
            save: parts.save,
            restore: parts.restore,
            requireOptimizerState: parts.requireOptimizerState ?? true,
            ...(parts.trainer !== undefined ? { trainer: parts.trainer } : {}),
            ...(parts.modelConfig !== undefined ? { modelConfig: parts.modelConfig } : {}),
          },
        }
      : {}),
    resume: checkpoint?.resume ?? false,
    ...(progress !== undefined ? { progress } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
  });
}

/** Steps between checkpoints for a trainer without `saveSteps`: transformers' default. */
const DEFAULT_SAVE_EVERY = 500;
