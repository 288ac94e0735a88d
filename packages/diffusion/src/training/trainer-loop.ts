import {
  ProgressReporter,
  runTrainingLoop,
  type CheckpointContent,
  type HistoryEntry,
  type LoadedCheckpoint,
  type ProgressOptions,
  type StepMetrics,
  type TrainingLoopResult,
} from '@dpo-ts/core';
import type { ResolvedTrainingArguments } from './training-arguments.js';

/** Options of the trainers' `train()`: where and how a run is kept and shown. */
export interface TrainOptions {
  /** Checkpoint directory (created if absent); omitted: no checkpoints. @defaultValue undefined */
  readonly checkpointDir?: string;
  /**
   * Resume from the newest checkpoint in `checkpointDir`: `'auto'` when there is one, `true`
   * requires one, `false` refuses a directory that already holds checkpoints (core's
   * `runTrainingLoop`).
   * @defaultValue false
   */
  readonly resume?: boolean | 'auto';
  /**
   * Progress lines with ETA (core's `ProgressReporter`), their options, or `false`.
   * @defaultValue a line every `loggingSteps` steps on stderr with the trainer's headline metrics
   */
  readonly progress?: ProgressOptions | ProgressReporter | false;
  /** Stops after the step in progress; the run saves a checkpoint and can resume. */
  readonly signal?: AbortSignal;
  /** Called after every step with its metrics (custom logging). */
  readonly onStep?: (entry: HistoryEntry) => void;
}

/** What a trainer plugs into {@link runTrainerLoop}. @internal */
export interface TrainerLoopParts {
  readonly args: ResolvedTrainingArguments;
  readonly step: (stepIndex: number) => Promise<StepMetrics>;
  readonly evaluate: (() => Promise<StepMetrics>) | undefined;
  readonly save: () => Promise<CheckpointContent>;
  readonly restore: (checkpoint: LoadedCheckpoint) => void;
  /** Metric keys on the progress line by default. */
  readonly headline: readonly string[];
}

/** Runs core's `runTrainingLoop` with a trainer's parts and the user's {@link TrainOptions}. @internal */
export async function runTrainerLoop(parts: TrainerLoopParts, options: TrainOptions): Promise<TrainingLoopResult> {
  const { args } = parts;
  const progress = options.progress ?? { everySteps: args.loggingSteps, metrics: parts.headline };
  return runTrainingLoop({
    totalSteps: args.totalSteps,
    step: async (stepIndex) => {
      const metrics = await parts.step(stepIndex);
      options.onStep?.({ step: stepIndex + 1, metrics });
      return metrics;
    },
    ...(parts.evaluate !== undefined && args.evalSteps !== undefined ? { evaluate: parts.evaluate, evalEvery: args.evalSteps } : {}),
    ...(options.checkpointDir !== undefined
      ? {
          checkpoint: {
            dir: options.checkpointDir,
            every: args.saveSteps,
            ...(args.saveTotalLimit !== undefined ? { keepLast: args.saveTotalLimit } : {}),
            save: parts.save,
            restore: parts.restore,
          },
        }
      : {}),
    resume: options.resume ?? false,
    progress,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
}

/** Examples per second since a run (or this call's part of it) began. @internal */
export class Throughput {
  private readonly start = performance.now();
  private examples = 0;

  /** Adds one step's examples; returns the rate since the start. */
  add(examples: number): number {
    this.examples += examples;
    return this.examples / Math.max((performance.now() - this.start) / 1000, 1e-9);
  }
}
