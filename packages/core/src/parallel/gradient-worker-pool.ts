import type * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend/backend-request.js';
import type { GradientOverrideName } from '../backend/gradient-overrides.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import type {
  GradientCall,
  GradientEngine,
  HostGradientSum,
  MicroBatchResult,
  StepGradients,
} from './gradient-engine.js';
import { sumTensors } from './ordered-gradient-sum.js';
import type { ParallelTaskSpec } from './parallel-task.js';
import { parameterLayout, writeParameters, type ParameterLayout } from './parameter-layout.js';
import { StepControl } from './step-control.js';
import { secondsSince } from './step-phases.js';
import { WorkerPhaseTotals } from './worker-phase-totals.js';
import { WorkerFailedError } from './worker-failed-error.js';
import { requireModuleSpec, threadBackend, WorkerHost } from './worker-host.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

/** Options of {@link GradientWorkerPool.create}. */
export interface GradientWorkerPoolOptions {
  /** How each worker builds its replica. */
  readonly task: ParallelTaskSpec;
  /**
   * The main thread's model variables: the canonical weights. Every one is copied to the
   * replicas at each call (frozen ones too: a DPO reference, synced or not, stays in step);
   * gradients are computed for the trainable ones.
   */
  readonly parameters: NamedVariables;
  /** Worker threads, >= 1 (see `resolveWorkerCount` for the `workers` option's default). */
  readonly workers: number;
  /** Backend of every worker. @defaultValue the main thread's active backend */
  readonly backend?: BackendName;
  /** Gradient overrides of every worker. @defaultValue those active on the main thread */
  readonly gradientOverrides?: readonly GradientOverrideName[];
  /**
   * Gradient buffers per worker: 2 lets a worker start its next micro-batch while its previous
   * gradient waits for its turn in the ordered sum. Memory: workers x slots x parameters x 4 bytes.
   * @defaultValue 2
   */
  readonly slotsPerWorker?: number;
}

interface RunningCall {
  readonly callId: number;
  readonly stepIndex: number;
  readonly control: StepControl;
  readonly microBatches: MicroBatchResult[];
  /** Micro-batches whose result message has come in. */
  received: number;
  /** Workers that reported `finished`. */
  finished: number;
  /** Per worker, seconds by phase (and micro-batches computed), when the call is timed. */
  readonly timings: WorkerPhaseTotals[] | undefined;
  /** Seconds the workers spent adding gradients into the sum, all workers together. */
  reduceSeconds: number;
  /** `performance.now()` when the last worker finished. */
  finishedAt: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Data-parallel gradients on worker threads, inside one process. The main thread owns the
 * optimiser and the canonical parameters; each worker holds its own tfjs engine and a replica
 * built from a {@link ParallelTaskSpec}.
 *
 * Per call: the main thread copies its variables (trainable and frozen) into a SharedArrayBuffer
 * and sends every worker all the micro-batches; each worker loads the shared parameters into
 * its replica, then takes micro-batches in turn from a shared counter (a worker slowed by other
 * load takes fewer), computes each one's gradient into one of its shared gradient slots and
 * posts the loss and metrics. The gradients are summed strictly in micro-batch order, with
 * {@link OrderedGradientSum}'s arithmetic, into a shared buffer by whichever worker holds the
 * next one (`StepControl`), so the main thread does no per-micro-batch work; which worker
 * computed or added what does not change a bit. A run is deterministic and equals the
 * single-thread {@link InProcessGradientEngine} bit for bit on the same backend, whatever the
 * worker count (measured in the tests).
 *
 * Failures: a worker that throws (its loss, a leaked tensor, a layout mismatch) or exits makes
 * the call reject with a {@link WorkerFailedError} naming the worker and micro-batch, and shuts
 * the pool down; calls after that reject with the same error. Workers are unref'd between
 * calls, so a forgotten pool does not keep the process alive; still, {@link close} it.
 *
 * Tensors: none on the main thread between calls; the returned gradients are the caller's.
 */
export class GradientWorkerPool<TBatch> implements GradientEngine<TBatch> {
  private call: RunningCall | undefined;
  private busy = false;
  private callId = 0;
  private host!: WorkerHost<FromWorker>;

  private constructor(
    private readonly slotsPerWorker: number,
    private readonly layout: ParameterLayout,
    private readonly weightLayout: ParameterLayout,
    private readonly variables: NamedVariables,
    private readonly sharedParameters: Float32Array,
  ) {}

  /** Worker threads in the pool. */
  get workers(): number {
    return this.host.size;
  }

  /**
   * Starts `workers` threads and waits until each has built its replica and checked that its
   * trainable variables match `parameters` (names, order, shapes).
   * @throws InvalidArgumentError for bad options; WorkerFailedError when a worker cannot start.
   */
  static async create<TBatch>(options: GradientWorkerPoolOptions): Promise<GradientWorkerPool<TBatch>> {
    const workers = requireInteger('options.workers', options.workers, { min: 1 });
    const slotsPerWorker = requireInteger('options.slotsPerWorker', options.slotsPerWorker ?? 2, { min: 1 });
    const { task } = options;
    requireModuleSpec(task, 'options.task', 'a { module, export, config } task spec');
    const layout = parameterLayout(options.parameters);
    const weightLayout = parameterLayout(options.parameters, 'all');
    const parameters = new SharedArrayBuffer(weightLayout.size * 4);
    const { backend, gradientOverrides } = threadBackend(options);
    const perWorker = <T>(make: () => T) =>
      Array.from({ length: workers }, () => Array.from({ length: slotsPerWorker }, make));
    const gradientSlots = perWorker(() => new SharedArrayBuffer(layout.size * 4));
    const gradientFlags = perWorker(() => new SharedArrayBuffer(layout.slots.length * 4));
    const pool = new GradientWorkerPool<TBatch>(
      slotsPerWorker,
      layout,
      weightLayout,
      options.parameters,
      new Float32Array(parameters),
    );
    pool.host = await WorkerHost.start<FromWorker>({
      entry: 'worker-entry.js',
      workers,
      workerData: (workerIndex): WorkerInit => ({
        workerIndex,
        task,
        backend,
        gradientOverrides,
        layout,
        weightLayout,
        parameters,
        gradientSlots,
        gradientFlags,
      }),
      spec: { argument: 'options.task', expected: 'a task spec whose config is JSON', value: task },
      onMessage: (workerIndex, message) => pool.onMessage(workerIndex, message),
      failure: (workerIndex, failure, reported) => {
        const running = pool.runningOn(workerIndex);
        // A worker's own report names the micro-batch it failed on (a thread error: the one it held).
        const where =
          reported?.type !== 'error'
            ? running
            : {
                ...(reported.microBatchIndex === undefined ? {} : { microBatchIndex: reported.microBatchIndex }),
                ...(running.stepIndex === undefined ? {} : { stepIndex: running.stepIndex }),
              };
        return new WorkerFailedError({ workerIndex, ...where, ...failure });
      },
      onFail: (error) => {
        pool.call?.reject(error);
        pool.call = undefined;
      },
      busy: () => pool.call !== undefined,
    });
    return pool;
  }

  /** The micro-batch worker `workerIndex` is computing in the running call (its first without a result). */
  private runningOn(workerIndex: number): { microBatchIndex?: number; stepIndex?: number } {
    const call = this.call;
    if (call === undefined) return {};
    const microBatchIndex = call.microBatches.findIndex(
      (_, k) => call.control.computingWorker(k, this.slotsPerWorker) === workerIndex,
    );
    return microBatchIndex < 0 ? { stepIndex: call.stepIndex } : { microBatchIndex, stepIndex: call.stepIndex };
  }

  private onMessage(workerIndex: number, message: FromWorker): void {
    if (message.type === 'result' || message.type === 'finished') {
      const call = this.call;
      if (call === undefined || message.callId !== call.callId) return;
      if (message.type === 'result') {
        const { loss, metrics, outputs } = message;
        call.microBatches[message.microBatchIndex] = { loss, metrics, outputs };
        call.received++;
        if (message.timing !== undefined) call.timings?.[workerIndex]?.add(message.timing);
      } else {
        call.finished++;
        call.reduceSeconds += message.reduce;
        const totals = call.timings?.[workerIndex];
        if (totals !== undefined) {
          totals.reduce += message.reduce;
          totals.span = message.span;
        }
      }
      this.settle(call);
    }
  }

  /** Resolves the call once every worker has finished and every result has come in. */
  private settle(call: RunningCall): void {
    if (call.finished < this.host.size || call.received < call.microBatches.length) return;
    call.finishedAt = performance.now();
    this.call = undefined;
    this.host.unref();
    const added = call.control.added();
    if (added === call.microBatches.length) call.resolve();
    else call.reject(new DPOTSError(`GradientWorkerPool: ${added} of ${call.microBatches.length} gradients summed`));
  }

  async computeGradients(batches: readonly TBatch[], call: GradientCall = {}): Promise<StepGradients> {
    if (this.host.failure !== undefined) throw this.host.failure;
    if (this.host.closing) throw new DPOTSError('GradientWorkerPool is closed');
    if (this.busy)
      throw new DPOTSError('GradientWorkerPool.computeGradients is already running: await the previous call');
    if (!Array.isArray(batches) || batches.length === 0)
      throw new InvalidArgumentError('batches', 'at least one micro-batch', batches);
    const stepIndex = requireInteger('call.stepIndex', call.stepIndex ?? 0, { min: 0 });
    const divisor = call.divisor ?? 1;
    if (typeof divisor !== 'number' || !Number.isFinite(divisor) || divisor <= 0)
      throw new InvalidArgumentError('call.divisor', 'a finite number > 0', divisor);
    this.busy = true;
    try {
      return await this.run(batches, call, stepIndex, divisor);
    } finally {
      this.busy = false;
    }
  }

  private async run(
    batches: readonly TBatch[],
    call: GradientCall,
    stepIndex: number,
    divisor: number,
  ): Promise<StepGradients> {
    const callStart = performance.now();
    await writeParameters(this.weightLayout, this.variables, this.sharedParameters);
    const publish = secondsSince(callStart);
    if (this.host.failure !== undefined) throw this.host.failure;
    const control = StepControl.allocate(batches.length, this.layout.slots.length);
    const sum = new SharedArrayBuffer(this.layout.size * 4);
    const microBatches: MicroBatchResult[] = batches.map(() => ({ loss: Number.NaN, metrics: {}, outputs: {} }));
    const timing = call.phases === true;
    const postedAt = performance.now();
    const postedAtOnClock = performance.timeOrigin + postedAt;
    let running: RunningCall | undefined;
    await new Promise<void>((resolve, reject) => {
      const callId = ++this.callId;
      running = {
        callId,
        stepIndex,
        control,
        microBatches,
        received: 0,
        finished: 0,
        timings: timing ? Array.from({ length: this.host.size }, () => new WorkerPhaseTotals()) : undefined,
        reduceSeconds: 0,
        finishedAt: postedAt,
        resolve,
        reject,
      };
      this.call = running;
      try {
        for (let workerIndex = 0; workerIndex < this.host.size; workerIndex++) {
          this.host.post(workerIndex, {
            type: 'run',
            callId,
            stepIndex,
            step: call.step ?? null,
            batches,
            control: control.buffer,
            sum,
            divisor,
            timing,
          } satisfies ToWorker);
        }
      } catch (error) {
        // A batch that cannot cross threads (functions, tensors): some workers may already run, so stop them all.
        this.host.fail(
          new InvalidArgumentError(
            'batches',
            'micro-batches that survive structuredClone (plain data, typed arrays)',
            batches,
            String(error),
          ),
        );
      }
    });
    for (const [k, values] of microBatches.entries()) await call.afterMicroBatch?.(values, k);
    const converting = performance.now();
    const host = call.hostSum === true ? this.hostSum(sum, control.present()) : undefined;
    const grads =
      host === undefined
        ? sumTensors(this.layout, new Float32Array(sum), control.present())
        : new Map<string, tf.Tensor>();
    const result = host === undefined ? { grads, microBatches } : { grads, microBatches, host };
    if (!timing || running === undefined) return result;
    return {
      ...result,
      phases: {
        publish,
        ...WorkerPhaseTotals.mean(
          running.timings!.filter((totals) => totals.microBatches > 0),
          (running.finishedAt - postedAt) / 1000,
          postedAtOnClock,
        ),
        reduce: running.reduceSeconds + secondsSince(converting),
        gradients: secondsSince(callStart),
      },
    };
  }

  /** The call's shared sum as a {@link HostGradientSum} over the shared weights (published for the call). */
  private hostSum(sum: SharedArrayBuffer, present: Int32Array): HostGradientSum {
    const weightOffsets = new Map(this.weightLayout.slots.map((slot) => [slot.name, slot.offset]));
    return {
      layout: this.layout,
      values: new Float32Array(sum),
      present,
      parameters: this.sharedParameters,
      parameterOffsets: this.layout.slots.map((slot) => weightOffsets.get(slot.name)!),
    };
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
      this.call?.reject(new DPOTSError('GradientWorkerPool was closed during a call'));
      this.call = undefined;
    });
  }
}
