import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '@dpo-ts/core/backend';
import type { BenchmarkMode } from './benchmark.js';

/** The machine and software a run measured on; written into every `result.json` and `summary.json`. */
export interface RunEnvironment {
  readonly node: string;
  readonly tfjs: string;
  /** The backend the runner selected: name, threads, SIMD, active gradient overrides. */
  readonly backend: {
    readonly name: string;
    readonly requested: string;
    readonly threads?: number;
    readonly simd?: boolean;
    readonly overrides: readonly string[];
  };
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  /** 1, 5 and 15-minute load averages when the run started: other work on the machine slows every number. */
  readonly loadAverage: readonly number[];
  /** ISO date the run started. */
  readonly date: string;
  /** `git rev-parse HEAD` of the working tree, or null outside a git checkout. */
  readonly gitCommit: string | null;
  /** Whether the working tree had uncommitted changes (null when unknown). */
  readonly gitDirty: boolean | null;
  readonly mode: BenchmarkMode;
  readonly seed: number;
  readonly seeds: readonly number[];
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

/** One line per backend for reports: `wasm (SIMD, 1 thread; overrides BatchMatMul, Conv2D)`. */
export function describeBackend(backend: RunEnvironment['backend']): string {
  const details: string[] = [];
  if (backend.simd !== undefined) details.push(backend.simd ? 'SIMD' : 'no SIMD');
  if (backend.threads !== undefined) details.push(`${backend.threads} thread${backend.threads === 1 ? '' : 's'}`);
  const overrides = backend.overrides.length
    ? `gradient overrides ${backend.overrides.join(', ')}`
    : 'no gradient overrides';
  return `${backend.name} (${[...details, overrides].join('; ')})`;
}

/**
 * Describes this process's machine and software for the run: Node and tfjs versions, the
 * selected backend, CPU model and cores, memory, date, git commit, mode and seeds.
 * Runs `git` twice (10 s timeout each); everything else is read from Node.
 */
export function collectEnvironment(options: {
  readonly backend: BackendInfo;
  readonly mode: BenchmarkMode;
  readonly seed: number;
  readonly seeds: readonly number[];
  readonly date?: Date;
}): RunEnvironment {
  const { backend } = options;
  const status = git(['status', '--porcelain']);
  return {
    node: process.version,
    tfjs: tf.version_core,
    backend: {
      name: backend.name,
      requested: backend.requested,
      ...(backend.threads !== undefined ? { threads: backend.threads } : {}),
      ...(backend.simd !== undefined ? { simd: backend.simd } : {}),
      overrides: [...backend.overrides],
    },
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    date: (options.date ?? new Date()).toISOString(),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status.length > 0,
    mode: options.mode,
    seed: options.seed,
    seeds: [...options.seeds],
  };
}

/**
 * Samples the resident set size every `intervalMs` while a benchmark runs, so each benchmark
 * gets its own peak (the process's `maxRSS` only ever grows). Samples are taken when the event
 * loop is free, so a long synchronous step is covered by the samples around it and by the
 * final reading in `stop()`.
 */
export function startRssSampler(intervalMs = 250): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    /** Stops sampling; returns the peak in MiB. */
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak / 2 ** 20;
    },
  };
}

/** The process's peak resident set size so far (`getrusage` maxRSS), in MiB. */
export function processPeakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
