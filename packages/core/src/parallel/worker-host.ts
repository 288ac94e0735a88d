// The thread lifecycle both worker pools share (GradientWorkerPool, SamplingWorkerPool): start
// the threads, wait for each one's `ready`, turn a thread's error or exit into the pool's error,
// stop every thread on the first failure, answer tensor-count requests, keep idle threads
// unref'd, and close. Each pool keeps its own protocol (calls, results, its error class).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../backend/backend-request.js';
import { activeGradientOverrides, type GradientOverrideName } from '../backend/gradient-overrides.js';
import { selectedBackend } from '../backend/select-backend.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';

/** A thread's own failure as plain data: its error's class name (`'exit'` when it exited), message and stack. @internal */
export interface ThreadFailure {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** How a {@link WorkerHost} starts its threads and reports to its pool. @internal */
export interface WorkerHostOptions<TMessage> {
  /** The compiled worker body's file in dist/parallel/ (`worker-entry.js`). */
  readonly entry: string;
  /** Threads to start, >= 1; `argument` names it in errors. */
  readonly workers: number;
  /** Each thread's `workerData`. */
  readonly workerData: (workerIndex: number) => unknown;
  /** The spec inside `workerData`, named when it cannot cross threads: `options.task`, `a task spec whose config is JSON`. */
  readonly spec: { readonly argument: string; readonly expected: string; readonly value: unknown };
  /** Every message of a thread other than `ready`, `memory` and `error`. */
  readonly onMessage: (workerIndex: number, message: TMessage) => void;
  /**
   * The pool's error for a thread that threw or exited, or that reported an error (`reported`:
   * its `{ type: 'error', error }` message, which may say what it was working on).
   */
  readonly failure: (workerIndex: number, failure: ThreadFailure, reported?: TMessage) => Error;
  /** Called once with the first failure, after every thread was told to stop: reject what waits on the pool. */
  readonly onFail: (error: Error) => void;
  /** Whether the pool is in a call (threads stay ref'd after a tensor count). */
  readonly busy: () => boolean;
}

/** Where a compiled worker body is: beside this file in dist/, or in dist/ when tests run src/. */
function entryUrl(entry: string): URL {
  const here = import.meta.url;
  // A worker thread cannot load TypeScript: under vitest (src/*.ts) use the package's build.
  return here.endsWith('.ts') ? new URL(`../../dist/parallel/${entry}`, here) : new URL(`./${entry}`, here);
}

/**
 * Checks a `{ module, export, config }` spec (a task or a sampler).
 * @throws InvalidArgumentError naming `argument`.
 * @internal
 */
export function requireModuleSpec(spec: unknown, argument: string, expected: string): void {
  const { module, export: name } = (spec ?? {}) as { module?: unknown; export?: unknown };
  if (typeof spec !== 'object' || spec === null || typeof module !== 'string' || typeof name !== 'string')
    throw new InvalidArgumentError(argument, expected, spec);
}

/** The backend and gradient overrides of a pool's threads: the given ones, else the main thread's. @internal */
export function threadBackend(options: {
  readonly backend?: BackendName;
  readonly gradientOverrides?: readonly GradientOverrideName[];
}): { backend: BackendName; gradientOverrides: readonly GradientOverrideName[] } {
  return {
    backend: options.backend ?? selectedBackend()?.name ?? (tf.getBackend() as BackendName),
    gradientOverrides: options.gradientOverrides ?? activeGradientOverrides(),
  };
}

/**
 * The threads of one worker pool and their lifecycle. Threads are unref'd between calls, so a
 * forgotten pool does not keep the process alive. After the first failure every thread is
 * stopped and {@link WorkerHost.failure} holds the error. Internal to core's pools.
 * @internal
 */
export class WorkerHost<TMessage extends { readonly type: string }> {
  private failed: Error | undefined;
  private stopping = false;
  private onStartFailure: ((error: Error) => void) | undefined;
  private readonly memoryWaiters = new Map<
    number,
    { resolve: (numTensors: number) => void; reject: (error: Error) => void }
  >();

  private constructor(
    private readonly threads: readonly Worker[],
    private readonly options: WorkerHostOptions<TMessage>,
  ) {}

  /**
   * Starts the threads and waits until every one has posted `ready`.
   * @throws InvalidArgumentError for a bad `workers` or a `workerData` that cannot cross
   *   threads; DPOTSError when the worker body is not built; the pool's error when a thread
   *   fails while starting.
   */
  static async start<TMessage extends { readonly type: string }>(
    options: WorkerHostOptions<TMessage>,
  ): Promise<WorkerHost<TMessage>> {
    const workers = requireInteger('options.workers', options.workers, { min: 1 });
    const entry = entryUrl(options.entry);
    if (!existsSync(fileURLToPath(entry)))
      throw new DPOTSError(
        `${fileURLToPath(entry)} is missing: build @dpo-ts/core (npm run build) before starting workers`,
      );
    const threads: Worker[] = [];
    try {
      for (let workerIndex = 0; workerIndex < workers; workerIndex++)
        threads.push(new Worker(entry, { workerData: options.workerData(workerIndex) }));
    } catch (error) {
      // A config that cannot cross threads (DataCloneError), or no memory: stop the workers already started.
      await Promise.all(threads.map((worker) => worker.terminate()));
      const { argument, expected, value } = options.spec;
      throw new InvalidArgumentError(argument, expected, value, String(error));
    }
    const host = new WorkerHost(threads, options);
    await host.started();
    return host;
  }

  /** Threads in the pool. */
  get size(): number {
    return this.threads.length;
  }

  /** The first failure, once a thread failed; then every thread is stopped. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Whether the threads are stopping or stopped (closed, or failed). */
  get closing(): boolean {
    return this.stopping;
  }

  private started(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = 0;
      this.onStartFailure = reject;
      this.threads.forEach((worker, workerIndex) => {
        worker.on('message', (message: TMessage) => {
          if (message.type === 'ready') {
            worker.unref();
            if (++ready === this.threads.length) resolve();
          } else if (message.type === 'memory') {
            this.memoryWaiters.get(workerIndex)?.resolve((message as unknown as { numTensors: number }).numTensors);
            this.memoryWaiters.delete(workerIndex);
            if (!this.options.busy() && this.memoryWaiters.size === 0) this.unref();
          } else if (message.type === 'error') {
            const { error } = message as unknown as { error: ThreadFailure };
            this.fail(this.options.failure(workerIndex, error, message));
          } else this.options.onMessage(workerIndex, message);
        });
        worker.on('error', (error) =>
          this.fail(
            this.options.failure(workerIndex, {
              name: error.name,
              message: error.message,
              ...(error.stack ? { stack: error.stack } : {}),
            }),
          ),
        );
        worker.on('exit', (code) => {
          if (!this.stopping)
            this.fail(
              this.options.failure(workerIndex, { name: 'exit', message: `the thread exited with code ${code}` }),
            );
        });
      });
    });
  }

  /** Posts `message` to thread `workerIndex`, keeping it ref'd until the pool is idle again. */
  post(workerIndex: number, message: unknown): void {
    const worker = this.threads[workerIndex]!;
    worker.ref();
    worker.postMessage(message);
  }

  /** Lets the process exit while the threads wait for work. */
  unref(): void {
    for (const worker of this.threads) worker.unref();
  }

  /** Records the first failure, stops every thread and rejects whatever waits. */
  fail(error: Error): void {
    if (this.failed !== undefined || this.stopping) return;
    this.failed = error;
    this.stopping = true;
    for (const worker of this.threads) void worker.terminate();
    this.onStartFailure?.(error);
    this.options.onFail(error);
    for (const waiter of this.memoryWaiters.values()) waiter.reject(error);
    this.memoryWaiters.clear();
  }

  /** Each thread's live tensor count (its `memory` reply), for leak checks. */
  async tensorCounts(): Promise<number[]> {
    if (this.failed !== undefined) throw this.failed;
    return Promise.all(
      this.threads.map(
        (_, workerIndex) =>
          new Promise<number>((resolve, reject) => {
            this.memoryWaiters.set(workerIndex, { resolve, reject });
            this.post(workerIndex, { type: 'memory' });
          }),
      ),
    );
  }

  /**
   * Stops every thread; `beforeStop` runs first, once (the pool rejects its running call).
   * Idempotent.
   */
  async close(beforeStop?: () => void): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    beforeStop?.();
    await Promise.all(this.threads.map((worker) => worker.terminate()));
  }
}
