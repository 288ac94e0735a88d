import type { BackendName } from '../backend/backend-request.js';
import type { GradientOverrideName } from '../backend/gradient-overrides.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { parameterLayout, writeParameters, type ParameterLayout } from './parameter-layout.js';
import type { SamplerSpec } from './sampler.js';
import { SamplingWorkerFailedError } from './sampling-worker-failed-error.js';
import type { FromSamplingWorker, SamplingWorkerInit, ToSamplingWorker } from './sampling-worker-protocol.js';
import { requireModuleSpec, threadBackend, WorkerHost } from './worker-host.js';

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
  private call: SamplingCall | undefined;
  private callId = 0;
  private parametersVersion = 0;
  /** The task each worker is running in the current call. */
  private readonly running: (number | undefined)[];
  private host!: WorkerHost<FromSamplingWorker>;

  private constructor(
    workers: number,
    private readonly layout: ParameterLayout,
    private readonly variables: NamedVariables,
    private readonly sharedParameters: Float32Array,
  ) {
    this.running = Array.from({ length: workers }, () => undefined);
  }

  /** Worker threads in the pool. */
  get workers(): number {
    return this.host.size;
  }

  /**
   * Starts `workers` threads and waits until each has built its sampler and checked that its
   * variables match `parameters` (names, order, shapes).
   * @throws InvalidArgumentError for bad options; SamplingWorkerFailedError when a worker cannot start.
   */
  static async create<TTask, TResult>(options: SamplingWorkerPoolOptions): Promise<SamplingWorkerPool<TTask, TResult>> {
    const workers = requireInteger('options.workers', options.workers, { min: 1 });
    const { sampler } = options;
    requireModuleSpec(sampler, 'options.sampler', 'a { module, export, config } sampler spec');
    const layout = parameterLayout(options.parameters, 'all');
    const parameters = new SharedArrayBuffer(layout.size * 4);
    const { backend, gradientOverrides } = threadBackend(options);
    const pool = new SamplingWorkerPool<TTask, TResult>(
      workers,
      layout,
      options.parameters,
      new Float32Array(parameters),
    );
    pool.host = await WorkerHost.start<FromSamplingWorker>({
      entry: 'sampling-worker-entry.js',
      workers,
      workerData: (workerIndex): SamplingWorkerInit => ({
        workerIndex,
        sampler,
        backend,
        gradientOverrides,
        layout,
        parameters,
      }),
      spec: { argument: 'options.sampler', expected: 'a sampler spec whose config is JSON', value: sampler },
      onMessage: (workerIndex, message) => pool.onMessage(workerIndex, message),
      failure: (workerIndex, failure, reported) => {
        // A worker's own report names the task it failed on (a thread error: the one it held).
        const where =
          reported?.type !== 'error'
            ? pool.runningOn(workerIndex)
            : reported.taskIndex === undefined
              ? {}
              : { taskIndex: reported.taskIndex };
        return new SamplingWorkerFailedError({ workerIndex, ...where, ...failure });
      },
      onFail: (error) => {
        pool.call?.reject(error);
        pool.call = undefined;
      },
      busy: () => pool.call !== undefined,
    });
    return pool;
  }

  /** The task worker `workerIndex` is running, when any. */
  private runningOn(workerIndex: number): { taskIndex?: number } {
    const taskIndex = this.running[workerIndex];
    return taskIndex === undefined ? {} : { taskIndex };
  }

  private onMessage(workerIndex: number, message: FromSamplingWorker): void {
    if (message.type === 'result') {
      const call = this.call;
      if (call === undefined || message.callId !== call.callId) return;
      this.running[workerIndex] = undefined;
      call.results[message.taskIndex] = message.result;
      call.done++;
      try {
        call.onResult?.(message.result, message.taskIndex);
        if (call.done === call.tasks.length) {
          this.call = undefined;
          this.host.unref();
          call.resolve();
        } else this.handOut(call, workerIndex);
      } catch (error) {
        // The caller's onResult threw: hand out no more tasks; results still in flight are dropped.
        this.call = undefined;
        this.host.unref();
        call.reject(error instanceof Error ? error : new DPOTSError(String(error)));
      }
    }
  }

  /** Sends the call's next task, if any, to worker `workerIndex`. */
  private handOut(call: SamplingCall, workerIndex: number): void {
    if (call.next >= call.tasks.length) return;
    const taskIndex = call.next++;
    this.running[workerIndex] = taskIndex;
    this.host.post(workerIndex, {
      type: 'task',
      callId: call.callId,
      parametersVersion: this.parametersVersion,
      taskIndex,
      task: call.tasks[taskIndex],
    } satisfies ToSamplingWorker);
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
    if (this.host.failure !== undefined) throw this.host.failure;
    if (this.host.closing) throw new DPOTSError('SamplingWorkerPool is closed');
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
    if (this.host.failure !== undefined) throw this.host.failure;
    await new Promise<void>((resolve, reject) => {
      Object.assign(call, { resolve, reject });
      try {
        for (let workerIndex = 0; workerIndex < this.host.size && call.next < tasks.length; workerIndex++)
          this.handOut(call, workerIndex);
      } catch (error) {
        // A task that cannot cross threads (functions, tensors): some workers may already run, so stop them all.
        this.host.fail(
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
    return this.host.tensorCounts();
  }

  /** Stops every worker (a running call rejects). Idempotent. */
  async close(): Promise<void> {
    await this.host.close(() => {
      this.call?.reject(new DPOTSError('SamplingWorkerPool was closed during a call'));
      this.call = undefined;
    });
  }
}
