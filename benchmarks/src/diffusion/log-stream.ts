import { Writable } from 'node:stream';
import type { ProgressOptions } from '@dpo-ts/core/training';

/**
 * A writable stream that hands each complete line to `log` with `prefix` in front (partial
 * lines wait for their newline; carriage-return redraws are split like newlines), so the
 * trainers' progress lines go through the benchmark runner's log.
 */
export function lineLogStream(log: (line: string) => void, prefix = ''): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      pending += chunk.toString();
      const lines = pending.split(/\r|\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI escape sequences (ESC) from child-process output
        const text = line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
        if (text !== '') log(`${prefix}${text}`);
      }
      callback();
    },
    final(callback) {
      if (pending.trim() !== '') log(`${prefix}${pending.trim()}`);
      pending = '';
      callback();
    },
  });
}

/**
 * Trainer progress options that print plain lines (never redraw) through `log`, every
 * `everySteps` steps or 30 seconds, and append every step's metrics to `jsonlPath` when given.
 */
export function progressThrough(
  log: (line: string) => void,
  prefix: string,
  everySteps: number,
  metrics: readonly string[],
  jsonlPath?: string,
): ProgressOptions {
  return {
    stream: lineLogStream(log, prefix),
    redraw: false,
    everySteps: Math.max(1, Math.floor(everySteps)),
    everySeconds: 30,
    metrics,
    ...(jsonlPath !== undefined ? { jsonlPath } : {}),
  };
}
