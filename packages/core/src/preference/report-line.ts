import { ProgressReporter, type ProgressOptions } from '../training/progress.js';

/**
 * Sends one informational line (not a step's metrics) where a trainer's progress goes: a
 * {@link ProgressReporter}'s `log`, the stream of the {@link ProgressOptions} given, or stderr
 * by default; nowhere with `false`. Library code writes only through this channel, which the
 * caller chooses.
 */
export function reportLine(progress: ProgressOptions | ProgressReporter | false | undefined, line: string): void {
  if (progress === false) return;
  if (progress instanceof ProgressReporter) {
    progress.log(line);
    return;
  }
  (progress?.stream ?? process.stderr).write(`${line}\n`);
}
