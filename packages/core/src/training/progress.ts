import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { requireInteger, requireNumber } from '../errors/validate.js';

/**
 * `283` -> `"4m43s"`: seconds as the largest two units (`"12s"`, `"4m43s"`, `"1h02m"`,
 * `"2d03h"`), rounded to whole seconds; `"?"` for NaN or Infinity (an unknown ETA), negatives
 * as 0.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const total = Math.max(0, Math.round(seconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  if (total < 86400) return `${Math.floor(total / 3600)}h${pad(Math.floor((total % 3600) / 60))}m`;
  return `${Math.floor(total / 86400)}d${pad(Math.floor((total % 86400) / 3600))}h`;
}

/**
 * A metric value for a log line, short and stable: integers as they are (below 1e6), four
 * significant digits otherwise (`0.6412`, `123.5`), scientific below 1e-3 or from 1e4
 * (`5e-7`, `2.346e4`); trailing zeros trimmed (`0.62`); `NaN`, `Inf`, `-Inf` spelled out.
 */
export function formatMetric(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e4) {
    const [mantissa, exponent] = value.toExponential(3).split('e') as [string, string];
    return `${trimZeros(mantissa)}e${exponent.replace('+', '')}`;
  }
  return trimZeros(value.toPrecision(4));
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** `3.1 steps/s` at one step per second or more, `2.40 s/step` below; `? steps/s` when unknown. */
export function formatRate(stepsPerSecond: number): string {
  if (!Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return '? steps/s';
  return stepsPerSecond >= 1 ? `${stepsPerSecond.toFixed(1)} steps/s` : `${(1 / stepsPerSecond).toFixed(2)} s/step`;
}

/**
 * One progress line:
 * `step 120/1000 (12%) | loss 0.6412 | rewards/accuracies 0.62 | 3.1 steps/s | ETA 4m43s`.
 * Metrics appear in the order given; the percentage is rounded down.
 */
export function formatProgressLine(
  completedSteps: number,
  totalSteps: number,
  metrics: Readonly<Record<string, number>>,
  stepsPerSecond: number,
): string {
  const percent = Math.floor((100 * completedSteps) / Math.max(1, totalSteps));
  const eta = (totalSteps - completedSteps) / stepsPerSecond;
  const parts = [`step ${completedSteps}/${totalSteps} (${percent}%)`];
  for (const [key, value] of Object.entries(metrics)) parts.push(`${key} ${formatMetric(value)}`);
  parts.push(formatRate(stepsPerSecond), `ETA ${formatDuration(completedSteps >= totalSteps ? 0 : eta)}`);
  return parts.join(' | ');
}

/** Options of {@link ProgressReporter}. */
export interface ProgressOptions {
  /**
   * Where lines go: anything with `write(text)`, such as `process.stderr` (typed structurally so
   * the public types need no `@types/node`). @defaultValue process.stderr
   */
  readonly stream?: {
    /** Writes one piece of text (a line, or a redraw of the current line). */
    write(text: string): unknown;
    /** True on a terminal: the line is redrawn in place. */
    readonly isTTY?: boolean;
  };
  /** Print a line every this many completed steps. @defaultValue 10 */
  readonly everySteps?: number;
  /** ...or when this many seconds passed since the last line, whichever comes first. @defaultValue 30 */
  readonly everySeconds?: number;
  /** Metric keys shown on the line, in this order. @defaultValue every key a step returns */
  readonly metrics?: readonly string[];
  /**
   * Redraw one line in place (carriage return) instead of printing lines, at most 5 times a
   * second. @defaultValue true when `stream.isTTY`, false otherwise (CI logs get plain lines)
   */
  readonly redraw?: boolean;
  /**
   * Append every step's metrics, and every evaluation's, to this JSON Lines file:
   * `{"type":"train","step":120,"elapsed_s":38.7,"loss":0.64,...}` (`type` is `"eval"` for
   * evaluations; non-finite numbers become null). Parent directories are created.
   * @defaultValue undefined (no file)
   */
  readonly jsonlPath?: string;
  /** Clock in milliseconds, for tests. @defaultValue performance.now */
  readonly now?: () => number;
}

const REDRAW_INTERVAL_MS = 200;

/**
 * Reports the progress of a long loop: plain lines every N steps or N seconds (CI logs), or one
 * redrawn line on a terminal; optionally every step's metrics to a JSONL file.
 *
 * Steps/s and ETA are measured from {@link ProgressReporter.start} (or the first update) over
 * the steps completed since, so a resumed run's rate is its own.
 *
 * @example
 * const progress = new ProgressReporter(1000, { jsonlPath: 'out/log.jsonl' });
 * for (...) progress.update(stepIndex + 1, metrics);
 * progress.close();
 */
export class ProgressReporter {
  /** Steps of the whole run, the denominator of the line. */
  readonly totalSteps: number;
  private readonly stream: { write(text: string): unknown };
  private readonly everySteps: number;
  private readonly everySecondsMs: number;
  private readonly shown: readonly string[] | undefined;
  private readonly redraw: boolean;
  private readonly now: () => number;
  private jsonlFd: number | undefined;
  private startTime: number | undefined;
  private startSteps = 0;
  private lastPrint = -Infinity;
  private currentLine = '';
  private printed = false;

  /**
   * Validates the options and, with `jsonlPath`, creates its directory and opens the file for
   * appending; the reporter holds that file open until {@link ProgressReporter.close}.
   * @param totalSteps - optimiser steps of the whole run, an integer >= 1.
   * @param options - where and how often to print; see {@link ProgressOptions}.
   * @throws InvalidArgumentError for a bad `totalSteps`, `everySteps` or `everySeconds`.
   */
  constructor(totalSteps: number, options: ProgressOptions = {}) {
    this.totalSteps = requireInteger('totalSteps', totalSteps, { min: 1 });
    this.stream = options.stream ?? process.stderr;
    this.everySteps = requireInteger('everySteps', options.everySteps ?? 10, { min: 1 });
    this.everySecondsMs = 1000 * requireNumber('everySeconds', options.everySeconds ?? 30, { min: 0 });
    this.shown = options.metrics;
    this.redraw = options.redraw ?? (this.stream as { isTTY?: boolean }).isTTY === true;
    this.now = options.now ?? (() => performance.now());
    if (options.jsonlPath !== undefined) {
      mkdirSync(path.dirname(options.jsonlPath), { recursive: true });
      this.jsonlFd = openSync(options.jsonlPath, 'a');
    }
  }

  /** Starts the clock; `completedSteps` is where this run begins (the resumed step, or 0). */
  start(completedSteps = 0): void {
    this.startTime = this.now();
    this.startSteps = completedSteps;
    this.lastPrint = this.startTime;
  }

  /** Steps per second since {@link ProgressReporter.start}. */
  stepsPerSecond(completedSteps: number): number {
    if (this.startTime === undefined) return NaN;
    return (completedSteps - this.startSteps) / ((this.now() - this.startTime) / 1000);
  }

  /** Records a completed step (`completedSteps` = stepIndex + 1) and prints when due. */
  update(completedSteps: number, metrics: Readonly<Record<string, number>>): void {
    if (this.startTime === undefined) this.start(completedSteps);
    this.writeRecord('train', completedSteps, metrics);
    const now = this.now();
    const shown = this.shown === undefined ? metrics : pick(metrics, this.shown);
    const last = completedSteps >= this.totalSteps;
    const line = (): string =>
      formatProgressLine(completedSteps, this.totalSteps, shown, this.stepsPerSecond(completedSteps));
    if (this.redraw) {
      if (last || now - this.lastPrint >= REDRAW_INTERVAL_MS) {
        this.currentLine = line();
        this.stream.write(`\r\x1b[2K${this.currentLine}`);
        this.lastPrint = now;
      }
    } else if (
      last ||
      !this.printed ||
      completedSteps % this.everySteps === 0 ||
      now - this.lastPrint >= this.everySecondsMs
    ) {
      this.stream.write(`${line()}\n`);
      this.lastPrint = now;
      this.printed = true;
    }
  }

  /** Prints an evaluation's metrics on their own line (`eval step 100 | ...`) and logs them. */
  evaluation(completedSteps: number, metrics: Readonly<Record<string, number>>): void {
    this.writeRecord('eval', completedSteps, metrics);
    const parts = [`eval step ${completedSteps}/${this.totalSteps}`];
    for (const [key, value] of Object.entries(metrics)) parts.push(`${key} ${formatMetric(value)}`);
    this.log(parts.join(' | '));
  }

  /** Prints a message on its own line without breaking a redrawn progress line. */
  log(message: string): void {
    if (this.redraw && this.currentLine !== '') this.stream.write(`\r\x1b[2K${message}\n${this.currentLine}`);
    else this.stream.write(`${message}\n`);
  }

  /** Ends a redrawn line and closes the JSONL file. Safe to call twice. */
  close(): void {
    if (this.redraw && this.currentLine !== '') this.stream.write('\n');
    this.currentLine = '';
    if (this.jsonlFd !== undefined) closeSync(this.jsonlFd);
    this.jsonlFd = undefined;
  }

  private writeRecord(type: 'train' | 'eval', step: number, metrics: Readonly<Record<string, number>>): void {
    if (this.jsonlFd === undefined) return;
    const elapsed = this.startTime === undefined ? 0 : (this.now() - this.startTime) / 1000;
    writeSync(this.jsonlFd, `${JSON.stringify({ type, step, elapsed_s: Number(elapsed.toFixed(3)), ...metrics })}\n`);
  }
}

function pick(metrics: Readonly<Record<string, number>>, keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) if (key in metrics) out[key] = metrics[key]!;
  return out;
}
