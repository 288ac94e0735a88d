// Messages between a SamplingWorkerPool (main thread) and its worker threads. Internal: the
// protocol changes with the pool and is not part of the public API.
import type { BackendName } from '../backend/backend-request.js';
import type { GradientOverrideName } from '../backend/gradient-overrides.js';
import type { ParameterLayout } from './parameter-layout.js';
import type { SamplerSpec } from './sampler.js';
import type { SerializedError } from './worker-protocol.js';

/** `workerData` of every sampling worker. @internal */
export interface SamplingWorkerInit {
  readonly workerIndex: number;
  readonly sampler: SamplerSpec;
  readonly backend: BackendName;
  readonly gradientOverrides: readonly GradientOverrideName[];
  /** Every variable of the sampler, frozen ones included: the layout of `parameters`. */
  readonly layout: ParameterLayout;
  /** The canonical weights, written by the main thread before each `sample()` call. */
  readonly parameters: SharedArrayBuffer;
}

/** Main -> sampling worker. @internal */
export type ToSamplingWorker =
  | {
      readonly type: 'task';
      readonly callId: number;
      /** Bumped when the main thread rewrites `parameters`: the worker reloads its replica. */
      readonly parametersVersion: number;
      readonly taskIndex: number;
      readonly task: unknown;
    }
  | { readonly type: 'memory' };

/** Sampling worker -> main. @internal */
export type FromSamplingWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly callId: number; readonly taskIndex: number; readonly result: unknown }
  | { readonly type: 'memory'; readonly numTensors: number }
  | { readonly type: 'error'; readonly taskIndex?: number; readonly error: SerializedError };
