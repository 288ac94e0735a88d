// Messages between a GradientWorkerPool (main thread) and its worker threads. Internal: the
// protocol changes with the engine and is not part of the public API.
import type { BackendName } from '../backend/backend-request.js';
import type { GradientOverrideName } from '../backend/gradient-overrides.js';
import type { JsonValue } from '../training/checkpoint-format.js';
import type { ParameterLayout } from './parameter-layout.js';
import type { ParallelTaskSpec } from './parallel-task.js';

/** `workerData` of every worker. @internal */
export interface WorkerInit {
  readonly workerIndex: number;
  readonly task: ParallelTaskSpec;
  readonly backend: BackendName;
  readonly gradientOverrides: readonly GradientOverrideName[];
  /** The trainable variables: the layout of the gradient slots. */
  readonly layout: ParameterLayout;
  /** Every variable, frozen ones included: the layout of `parameters`. */
  readonly weightLayout: ParameterLayout;
  /** The canonical weights, written by the main thread before each call. */
  readonly parameters: SharedArrayBuffer;
  /**
   * Every worker's gradient slots (`gradientSlots[worker][slot]`, each `layout.size` float32
   * values): a worker writes into its own and adds anyone's into a call's sum.
   */
  readonly gradientSlots: readonly (readonly SharedArrayBuffer[])[];
  /** Per worker and slot, `layout.slots.length` int32 flags: 1 where the slot holds that variable's gradient. */
  readonly gradientFlags: readonly (readonly SharedArrayBuffer[])[];
}

/** Main -> worker. @internal */
export type ToWorker =
  | {
      readonly type: 'run';
      readonly callId: number;
      readonly stepIndex: number;
      readonly step: JsonValue;
      /** Every micro-batch of the call; workers take them in turn through `control`. */
      readonly batches: readonly unknown[];
      /** The call's `StepControl` block (claims, states, the sum's progress). */
      readonly control: SharedArrayBuffer;
      /** The call's gradient sum, `layout.size` float32 values. */
      readonly sum: SharedArrayBuffer;
      /** What each gradient is divided by before it is added. */
      readonly divisor: number;
      /** Whether to time the phases of each micro-batch ({@link MicroBatchTiming}). */
      readonly timing: boolean;
    }
  | { readonly type: 'memory' };

/** An error as plain data (Error objects lose their class crossing threads). @internal */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** Seconds a worker spent on one micro-batch, by phase (see `STEP_PHASE_METRICS`). @internal */
export interface MicroBatchTiming {
  /** Copying the shared parameters into the replica (the run's first micro-batch only; else 0). */
  readonly load: number;
  /** Waiting for a free gradient slot. */
  readonly slotWait: number;
  /** Forward and backward. */
  readonly compute: number;
  /** Writing the gradients into the slot. */
  readonly copy: number;
}

/** Worker -> main. @internal */
export type FromWorker =
  | { readonly type: 'ready'; readonly numTensors: number }
  | {
      readonly type: 'result';
      readonly callId: number;
      readonly microBatchIndex: number;
      readonly loss: number;
      readonly metrics: Readonly<Record<string, number>>;
      readonly outputs: Readonly<Record<string, Float32Array>>;
      /** Present when the run asked for `timing`. */
      readonly timing?: MicroBatchTiming;
    }
  | {
      /** The worker has nothing left to do in call `callId` (no micro-batch to take, its gradients handed over). */
      readonly type: 'finished';
      readonly callId: number;
      /** Seconds this worker spent adding gradients (anyone's) into the call's sum. */
      readonly reduce: number;
      /**
       * When the run asked for `timing`: when the worker took the call and when it finished, in
       * milliseconds on the process-wide clock (`performance.timeOrigin + performance.now()`).
       */
      readonly span?: { readonly startedAt: number; readonly finishedAt: number };
    }
  | { readonly type: 'memory'; readonly numTensors: number }
  | { readonly type: 'error'; readonly microBatchIndex?: number; readonly error: SerializedError };

/** @internal */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error)
    return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}
