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
  /** This worker's gradient slots, each `layout.size` float32 values. */
  readonly gradientSlots: readonly SharedArrayBuffer[];
}

/** One micro-batch assigned to a worker. @internal */
export interface Assignment {
  readonly microBatchIndex: number;
  readonly batch: unknown;
}

/** Main -> worker. @internal */
export type ToWorker =
  | {
      readonly type: 'run';
      readonly callId: number;
      readonly stepIndex: number;
      readonly microBatchCount: number;
      readonly step: JsonValue;
      readonly assignments: readonly Assignment[];
      /** Whether to time the phases of each micro-batch ({@link MicroBatchTiming}). */
      readonly timing: boolean;
    }
  | { readonly type: 'release'; readonly slot: number }
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
      readonly slot: number;
      readonly loss: number;
      readonly metrics: Readonly<Record<string, number>>;
      readonly outputs: Readonly<Record<string, Float32Array>>;
      readonly hasGradient: readonly boolean[];
      /** Present when the run asked for `timing`. */
      readonly timing?: MicroBatchTiming;
    }
  | { readonly type: 'memory'; readonly numTensors: number }
  | { readonly type: 'error'; readonly microBatchIndex?: number; readonly error: SerializedError };

/** @internal */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error)
    return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}
