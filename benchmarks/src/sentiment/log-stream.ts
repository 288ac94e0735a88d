import { Writable } from 'node:stream';
import type { ProgressOptions } from '@dpo-ts/core/training';

/**
 * A writable stream that forwards each complete line written to it to `log`: lets core's
 * `ProgressReporter` (which writes to a stream) report through the runner's `context.log`.
 * Carriage returns count as line ends, so a redrawn line never reaches the log half-written.
 */
export function lineLogStream(log: (line: string) => void): Writable & { isTTY: false } {
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      pending += chunk.toString();
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop()!;
      for (const line of lines) if (line.trim().length > 0) log(line);
      callback();
    },
    final(callback) {
      if (pending.trim().length > 0) log(pending);
      pending = '';
      callback();
    },
  });
  return Object.assign(stream, { isTTY: false as const });
}

/**
 * Progress options for a dpo-ts trainer's `train()` that send plain lines (no redraw) with
 * `metrics` to `log`, each prefixed by `label`, every `everySteps` steps or 30 seconds.
 */
export function progressTo(
  log: (line: string) => void,
  label: string,
  metrics: readonly string[],
  everySteps: number,
): ProgressOptions {
  return {
    stream: lineLogStream((line) => log(`${label}: ${line}`)),
    redraw: false,
    everySteps: Math.max(1, everySteps),
    everySeconds: 30,
    metrics,
  };
}
