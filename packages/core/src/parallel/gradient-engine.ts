import type * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '../training/checkpoint-format.js';
import type { MicroBatchOutput } from './parallel-task.js';
import type { ParameterLayout } from './parameter-layout.js';
import type { StepPhaseSeconds } from './step-phases.js';

/** What one micro-batch reported ({@link MicroBatchOutput}), read back to the host. */
export interface MicroBatchResult {
  /** The value of {@link MicroBatchOutput.loss}. */
  readonly loss: number;
  /** Its metric scalars by name. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Its outputs by name, flattened. */
  readonly outputs: Readonly<Record<string, Float32Array>>;
}

/**
 * A step's summed gradient left in host memory (the worker pool's shared sum), with the weights
 * it updates, for core's fused AdamW step.
 * @internal
 */
export interface HostGradientSum {
  /** The trainable variables' layout: offsets into `values` (and the optimiser's host moments). */
  readonly layout: ParameterLayout;
  /** The summed gradient, `layout.size` values; 0 where a variable has none. */
  readonly values: Float32Array;
  /** Per layout slot, non-zero when the sum holds that variable's gradient. */
  readonly present: ArrayLike<number>;
  /** The weights the gradient was computed at, updated in place by the fused step. */
  readonly parameters: Float32Array;
  /** Per layout slot, the offset of its weights in `parameters`. */
  readonly parameterOffsets: readonly number[];
}

/** What a {@link GradientEngine} returns for one optimiser step's micro-batches. */
export interface StepGradients {
  /**
   * The gradients of the micro-batch losses, each divided by the call's `divisor`, summed in
   * micro-batch order: `sum_k grad(loss_k) / divisor`. Keyed by the stable variable names;
   * a variable no loss depends on has no entry. New tensors the caller disposes.
   */
  readonly grads: Map<string, tf.Tensor>;
  /** One entry per micro-batch, in micro-batch order (not completion order). */
  readonly microBatches: readonly MicroBatchResult[];
  /** Seconds per phase of the call, when it was made with `phases: true`; else undefined. */
  readonly phases?: StepPhaseSeconds;
  /**
   * The sum in host memory, when the call asked for it (`hostSum`) and the engine keeps it
   * there; `grads` is then empty.
   * @internal
   */
  readonly host?: HostGradientSum;
}

/** Per-call settings of {@link GradientEngine.computeGradients}. */
export interface GradientCall {
  /** 0-based optimiser step, passed to the loss in its context. @defaultValue 0 */
  readonly stepIndex?: number;
  /** Step-wide JSON every micro-batch's loss receives as `context.step`. @defaultValue null */
  readonly step?: JsonValue;
  /**
   * Each micro-batch's gradient is divided by this before it is summed, as in core's
   * `accumulateGradients`: the number of micro-batches for a mean, 1 for losses already
   * normalised over the whole step. @defaultValue 1
   */
  readonly divisor?: number;
  /**
   * Whether to time the call's phases ({@link StepGradients.phases}; core's `microBatchStep`
   * sets it from `stepPhasesEnabled()`). @defaultValue false
   */
  readonly phases?: boolean;
  /**
   * Return the sum as {@link StepGradients.host} instead of tensors, where the engine holds it
   * in host memory (the worker pool); other engines ignore it. @defaultValue false
   * @internal
   */
  readonly hostSum?: boolean;
  /**
   * Called once per micro-batch, in micro-batch order, with its values; a throw or rejection
   * makes the call reject (no gradient is returned). On the main thread
   * ({@link InProcessGradientEngine}) it runs before the next micro-batch's loss, so it may
   * update state that later losses read (bco_pair's running mean). In a worker pool every
   * micro-batch is computed by then and replicas never see its effects: pass such state to
   * the losses in `step` instead.
   */
  readonly afterMicroBatch?: (values: MicroBatchResult, microBatchIndex: number) => void | Promise<void>;
}

/**
 * Computes the accumulated gradient of one optimiser step's micro-batches, on the main thread
 * ({@link InProcessGradientEngine}, `workers: 1`) or spread over worker threads
 * ({@link GradientWorkerPool}). Both sum in micro-batch order, so for the same task and
 * backend they return the same numbers; what follows (clipping, the NaN guard, AdamW) stays on
 * the main thread.
 */
export interface GradientEngine<TBatch> {
  /** Worker threads in use; 1 means none (the main thread computes). */
  readonly workers: number;
  /**
   * Runs the loss of every micro-batch in `batches` on the tape and returns the summed
   * gradients and per-micro-batch values. Reads the model's current weights (in a pool, copies
   * them to every replica first), so call it after each optimiser step with no extra sync.
   */
  computeGradients(batches: readonly TBatch[], call?: GradientCall): Promise<StepGradients>;
  /** Releases threads and replicas. Idempotent. */
  close(): Promise<void>;
}
