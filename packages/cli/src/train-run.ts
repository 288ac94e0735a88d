import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { TrainingLoopResult, TrainOptions } from '@dpo-ts/core/training';
import type { CliIO } from './cli-io.js';
import type { RunConfig } from './run-config.js';

/** What every trainer the CLI drives has in common. */
export interface CliTrainer {
  train(options: TrainOptions): Promise<TrainingLoopResult>;
  evaluate(): Promise<Readonly<Record<string, number>>>;
  save(dir: string): Promise<void>;
  dispose(): void;
}

/** Options of {@link runTrainer}. */
export interface RunTrainerOptions {
  readonly resume: boolean;
  /** Whether the run has evaluation data (then the final metrics are printed). */
  readonly hasEval: boolean;
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown === '' ? '.' : shown.startsWith('..') ? path : shown;
}

/**
 * Trains with checkpoints in `<out>/checkpoints` (resumed with `--resume`; without it a folder
 * that already holds checkpoints is refused by core's loop), progress lines on stderr, then
 * saves the model to `<out>/model` (atomically) and prints where, and the final evaluation.
 * An aborted run (Ctrl-C) saves its checkpoint and no model.
 */
export async function runTrainer(
  trainer: CliTrainer,
  config: RunConfig,
  io: CliIO,
  options: RunTrainerOptions,
): Promise<TrainingLoopResult> {
  const cwd = io.cwd ?? process.cwd();
  const checkpoints = join(config.out, 'checkpoints');
  if (!options.resume && (await readdir(checkpoints).catch(() => [])).some((name) => name.startsWith('step-'))) {
    throw new InvalidArgumentError(
      '--out',
      'a run folder without checkpoints (or pass --resume to continue that run)',
      displayPath(config.out, cwd),
      `${displayPath(checkpoints, cwd)} already holds checkpoints`,
    );
  }
  const result = await trainer.train({
    checkpoint: { dir: checkpoints, resume: options.resume },
    progress: { stream: io.stderr },
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  if (result.aborted) {
    io.stderr.write(
      `stopped after step ${result.completedSteps}; continue with --resume (checkpoint ${displayPath(result.lastCheckpoint ?? config.out, cwd)})\n`,
    );
    return result;
  }
  const modelDir = join(config.out, 'model');
  await trainer.save(modelDir);
  const last = result.history.at(-1)?.metrics ?? {};
  const summary = ['loss', 'rewards/accuracies', 'rewards/margins', 'reward', 'objective/scores']
    .filter((key) => typeof last[key] === 'number')
    .map((key) => `${key} ${(last[key] as number).toFixed(4)}`)
    .join(', ');
  const resumed = result.startStep > 0 ? `, resumed at step ${result.startStep}` : '';
  io.stdout.write(
    `trained ${config.kind} for ${result.completedSteps} steps${resumed}${summary ? ` (last step: ${summary})` : ''}\n`,
  );
  if (options.hasEval) {
    const metrics = await trainer.evaluate();
    const shown = Object.entries(metrics)
      .filter(([key]) =>
        [
          'loss',
          'rewards/accuracies',
          'rewards/margins',
          'mean_token_accuracy',
          'accuracy',
          'reward',
          'reward_mean',
        ].includes(key.replace(/^eval_/, '')),
      )
      .map(([key, value]) => `${key.startsWith('eval_') ? key : `eval_${key}`} ${value.toFixed(4)}`)
      .join(', ');
    if (shown) io.stdout.write(`evaluation: ${shown}\n`);
  }
  io.stdout.write(`saved the model to ${displayPath(modelDir, cwd)}\n`);
  return result;
}
