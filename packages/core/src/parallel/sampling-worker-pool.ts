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
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { parameterLayout, writeParameters, type ParameterLayout } from './parameter-layout.js';
import type { SamplerSpec } from './sampler.js';
import { SamplingWorkerFailedError } from './sampling-worker-failed-error.js';
import type { FromSamplingWorker, SamplingWorkerInit, ToSamplingWorker } from './sampling-worker-protocol.js';

/** Options of {@link SamplingWorkerPool.create}. */
export interface SamplingWorkerPoolOptions {
  /** How each worker builds its sampler replica. */
  readonly sampler: SamplerSpec;
  /**
   * The main thread's model variables (the canonical weights, frozen ones included): copied to
   * every replica at the start of each `sample()` call, so a policy trained between calls
   * samples with its new weights.
   */
  readonly parameters: NamedVariables;
  /** Worker threads, >= 1 (see `resolveSamplingWorkers` for the `workers` option). */
  readonly workers: number;
  /** Backend of every worker. @defaultValue the main thread's active backend */
  readonly backend?: BackendName;
  /** Gradient overrides of every worker. @defaultValue those active on the main thread */
  readonly gradientOverrides?: readonly GradientOverrideName[];
}

interface SamplingCall {
  readonly callId: number;
  readonly tasks: readonly unknown[];
  readonly results: unknown[];
  /** Next task index to hand out. */
  next: number;
  done: number;
  readonly onResult: ((result: unknown, taskIndex: number) => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Where the compiled worker body is: beside this file in dist/, or in dist/ when tests run src/. */
function samplingWorkerEntry(): URL {
  const here = import.meta.url;
  // A worker thread cannot load TypeScript: under vitest (src/*.ts) use the package's build.
  return here.endsWith('.ts')
    ? new URL('../../dist/parallel/sampling-worker-entry.js', here)
    : new URL('./sampling-worker-entry.js', here);
}

/**
 * Sampling on worker threads, inside one process: rollouts, preference-pair sampling,
 * best-of-N and evaluation samples computed by N replicas at once, each with its own tfjs
 * engine (wasm is single-threaded in Node, so this is how sampling uses every core).
 *
 * Per {@link sample} call: the main thread copies its variables into a SharedArrayBuffer; the
 * tasks are handed out one at a time to whichever worker is free (the first N in order, then
 * each worker gets the next task when it returns a result); each worker reloads the shared
 * weights into its replica once per call, runs its sampler on the task and checks it left no
 * tensor; results come back in task order. Which worker runs a task changes with timing, but
 * a task's result does not: it depends only on the task (its seed) and the weights (the
 * {@link Sampler} contract), so 1 and N workers give identical samples (tested bit for bit).
 *
 * Failures: a worker that throws (its sampler, a leaked tensor, a layout mismatch) or exits
 * makes the call reject with a {@link SamplingWorkerFailedError} naming the worker and task,
 * and shuts the pool down; later calls reject with the same error. Workers are unref'd between
 * calls, so a forgotten pool does not keep the process alive; still, {@link close} it.
 *
 * Tensors: the pool creates none on the main thread.
 *
 * @example
 * const pool = await SamplingWorkerPool.create<GPTSamplingTask, GPTSamplingResult>({
 *   sampler: gptSamplerSpec({ gpt: policy.config }), parameters: policy.namedVariables(), workers: 2 });
 * try { const results = await pool.sample(tasks); } finally { await pool.close(); }
 */
export class SamplingWorkerPool<TTask, TResult> {
  private failure: Error | undefined;
  private closing = false;
  private call: SamplingCall | undefined;
  private callId = 0;
  private parametersVersion = 0;
  /** The task each worker is running in the current call. */
  private readonly running: (number | undefined)[];
  private readonly memoryWaiters = new Map<
    number,
    { resolve: (numTensors: number) => void; reject: (error: Error) => void }
  >();
  private onStartFailure: ((error: Error) => void) | undefined;

  private constructor(
    private readonly workerThreads: readonly Worker[],
    private readonly layout: ParameterLayout,
    private readonly variables: NamedVariables,
    private readonly sharedParameters: Float32Array,
  ) {
    this.running = workerThreads.map(() => undefined);
  }

  /** Worker threads in the pool. */
  get workers(): number {
    return this.workerThreads.length;
  }

  /**
   * Starts `workers` threads and waits until each has built its sampler and checked that its
   * variables match `parameters` (names, order, shapes).
   * @throws InvalidArgumentError for bad options; SamplingWorkerFailedError when a worker cannot start.
   */
  static async create<TTask, TResult>(options: SamplingWorkerPoolOptions): Promise<SamplingWorkerPool<TTask, TResult>> {
    const workers = requireInteger('options.workers', options.workers, { min: 1 });
    const { sampler } = options;
    if (
      typeof sampler !== 'object' ||
      sampler === null ||
      typeof sampler.module !== 'string' ||
      typeof sampler.export !== 'string'
    ) {
      throw new InvalidArgumentError('options.sampler', 'a { module, export, config } sampler spec', sampler);
    }
    const entry = samplingWorkerEntry();
    if (!existsSync(fileURLToPath(entry)))
      throw new DPOTSError(
        `${fileURLToPath(entry)} is missing: build @dpo-ts/core (npm run build) before starting workers`,
      );
    const layout = parameterLayout(options.parameters, 'all');
    const parameters = new SharedArrayBuffer(layout.size * 4);
    const backend = options.backend ?? selectedBackend()?.name ?? (tf.getBackend() as BackendName);
    const gradientOverrides = options.gradientOverrides ?? activeGradientOverrides();
    const threads: Worker[] = [];
    try {
      for (let workerIndex = 0; workerIndex < workers; workerIndex++) {
        const workerData: SamplingWorkerInit = { workerIndex, sampler, backend, gradientOverrides, layout, parameters };
        threads.push(new Worker(entry, { workerData }));
      }
    } catch (error) {
      // A config that cannot cross threads (DataCloneError), or no memory: stop the workers already started.
      await Promise.all(threads.map((worker) => worker.terminate()));
      throw new InvalidArgumentError('options.sampler', 'a sampler spec whose config is JSON', sampler, String(error));
    }
    const pool = new SamplingWorkerPool<TTask, TResult>(
      threads,
      layout,
      options.parameters,
      new Float32Array(parameters),
    );
    await pool.started();
    return pool;
  }

  private started(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = 0;
      this.onStartFailure = reject;
      this.workerThreads.forEach((worker, workerIndex) => {
        worker.on('message', (message: FromSamplingWorker) => {
          if (message.type === 'ready') {
            worker.unref();
            if (++ready === this.workerThreads.length) resolve();
          } else this.onMessage(workerIndex, message);
        });
        worker.on('error', (error) =>
          this.fail(
            new SamplingWorkerFailedError({
              workerIndex,
              ...this.runningOn(workerIndex),
              name: error.name,
              message: error.message,
              ...(error.stack ? { stack: error.stack } : {}),
            }),
          ),
        );
        worker.on('exit', (code) => {
          if (!this.closing)
            this.fail(
              new SamplingWorkerFailedError({
                workerIndex,
                ...this.runningOn(workerIndex),
                name: 'exit',
                message: `the thread exited with code ${code}`,
              }),
            );
        });
      });
    });
  }

  private runningOn(workerIndex: number): { taskIndex?: number } {
    const taskIndex = this.running[workerIndex];
    return taskIndex === undefined ? {} : { taskIndex };
  }

  private onMessage(workerIndex: number, message: FromSamplingWorker): void {
    if (message.type === 'memory') {
      this.memoryWaiters.get(workerIndex)?.resolve(message.numTensors);
      this.memoryWaiters.delete(workerIndex);
      if (this.call === undefined && this.memoryWaiters.size === 0)
        for (const worker of this.workerThreads) worker.unref();
    } else if (message.type === 'error') {
      const { name, message: text, stack } = message.error;
      this.fail(
        new SamplingWorkerFailedError({
          workerIndex,
          ...(message.taskIndex === undefined ? {} : { taskIndex: message.taskIndex }),
          name,
          message: text,
          ...(stack ? { stack } : {}),
        }),
      );
    } else if (message.type === 'result') {
      const call = this.call;
      if (call === undefined || message.callId !== call.callId) return;
      this.running[workerIndex] = undefined;
      call.results[message.taskIndex] = message.result;
      call.done++;
      try {
        call.onResult?.(message.result, message.taskIndex);
        if (call.done === call.tasks.length) {
          this.call = undefined;
          for (const worker of this.workerThreads) worker.unref();
          call.resolve();
        } else this.handOut(call, workerIndex);
      } catch (error) {
        // The caller's onResult threw: hand out no more tasks; results still in flight are dropped.
        this.call = undefined;
        for (const worker of this.workerThreads) worker.unref();
        call.reject(error instanceof Error ? error : new DPOTSError(String(error)));
      }
    }
  }

  /** Sends the call's next task, if any, to worker `workerIndex`. */
  private handOut(call: SamplingCall, workerIndex: number): void {
    if (call.next >= call.tasks.length) return;
    const taskIndex = call.next++;
    this.running[workerIndex] = taskIndex;
    this.workerThreads[workerIndex]!.postMessage({
      type: 'task',
      callId: call.callId,
      parametersVersion: this.parametersVersion,
      taskIndex,
      task: call.tasks[taskIndex],
    } satisfies ToSamplingWorker);
  }

  /** Records the first failure, stops every worker and rejects whatever waits. */
  private fail(error: Error): void {
    if (this.failure !== undefined || this.closing) return;
    this.failure = error;
    this.closing = true;
    for (const worker of this.workerThreads) void worker.terminate();
    this.onStartFailure?.(error);
    this.call?.reject(error);
    this.call = undefined;
    for (const waiter of this.memoryWaiters.values()) waiter.reject(error);
    this.memoryWaiters.clear();
  }

  /**
   * Runs every task on the workers and returns their results in task order (result k is task
   * k's). The weights sampled with are the values of `parameters` when the call starts.
   * @param options - `onResult(result, taskIndex)`: called as each result arrives (in
   *   completion order), for progress; an error it throws rejects the call.
   * @throws InvalidArgumentError for an empty task list or tasks that cannot cross threads;
   *   SamplingWorkerFailedError when a worker fails (the pool is then shut down); DPOTSError
   *   when the pool is closed or a call is already running.
   */
  async sample(
    tasks: readonly TTask[],
    options: { readonly onResult?: (result: TResult, taskIndex: number) => void } = {},
  ): Promise<TResult[]> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closing) throw new DPOTSError('SamplingWorkerPool is closed');
    if (this.call !== undefined)
      throw new DPOTSError('SamplingWorkerPool.sample is already running: await the previous call');
    if (!Array.isArray(tasks) || tasks.length === 0)
      throw new InvalidArgumentError('tasks', 'at least one task', tasks);
    const results: unknown[] = tasks.map(() => undefined);
    // Mark the pool busy before the first await, so a second call cannot start meanwhile.
    const call: SamplingCall = {
      callId: ++this.callId,
      tasks,
      results,
      next: 0,
      done: 0,
      onResult: options.onResult as SamplingCall['onResult'],
      resolve: () => undefined,
      reject: () => undefined,
    };
    this.call = call;
    try {
      await writeParameters(this.layout, this.variables, this.sharedParameters);
    } catch (error) {
      this.call = undefined;
      throw error;
    }
    this.parametersVersion++;
    if (this.failure !== undefined) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      Object.assign(call, { resolve, reject });
      try {
        this.workerThreads.forEach((worker, workerIndex) => {
          if (call.next >= tasks.length) return;
          worker.ref();
          this.handOut(call, workerIndex);
        });
      } catch (error) {
        // A task that cannot cross threads (functions, tensors): some workers may already run, so stop them all.
        this.fail(
          new InvalidArgumentError(
            'tasks',
            'sampling tasks that survive structuredClone (plain data, typed arrays)',
            tasks,
            String(error),
          ),
        );
      }
    });
    return results as TResult[];
  }

  /**
   * The number of tensors alive in each worker's engine (its replica's variables, and nothing
   * else between calls): for leak checks in tests.
   */
  async workerTensorCounts(): Promise<number[]> {
    if (this.failure !== undefined) throw this.failure;
    return Promise.all(
      this.workerThreads.map(
        (worker, workerIndex) =>
          new Promise<number>((resolve, reject) => {
            this.memoryWaiters.set(workerIndex, { resolve, reject });
            worker.ref();
            worker.postMessage({ type: 'memory' } satisfies ToSamplingWorker);
          }),
      ),
    );
  }

  /** Stops every worker (a running call rejects). Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.call?.reject(new DPOTSError('SamplingWorkerPool was closed during a call'));
    this.call = undefined;
    await Promise.all(this.workerThreads.map((worker) => worker.terminate()));
  }
}
