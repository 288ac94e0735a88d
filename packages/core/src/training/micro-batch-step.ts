import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MetricAccumulator } from '../metrics/metric-accumulator.js';
import { METRIC_NAMES } from '../metrics/metric-names.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { accumulateGradients } from './accumulate-gradients.js';
import type { AdamWOptimizer } from './adamw-optimizer.js';
import { applyGradientStep } from './apply-gradient-step.js';
import { computeNamedGradients } from './named-gradients.js';
import { assertFinite } from './non-finite-guard.js';

/**
 * What a trainer's per-micro-batch function returns, every tensor computed on the gradient tape
 * from the micro-batch alone. {@link microBatchStep} takes ownership of all of them.
 */
export interface MicroBatchOutput {
  /** The objective of this micro-batch, shape []: its gradient is what the step accumulates. */
  readonly loss: tf.Scalar;
  /** Scalar metrics (TRL's names), shape [] each; averaged over the step's micro-batches. */
  readonly metrics?: Readonly<Record<string, tf.Scalar>>;
  /**
   * Per-example tensors the trainer needs on the host after the micro-batch (the rewards that
   * update bco_pair's running mean, diffusion's per-pair denoising errors), read back as
   * Float32Arrays in {@link MicroBatchResult.outputs}.
   */
  readonly outputs?: Readonly<Record<string, tf.Tensor>>;
}

/**
 * A trainer's loss of one micro-batch: `(batch) => { loss, metrics, outputs }`, run inside
 * `tf.variableGrads`. It must depend on nothing but `batch` and the model's weights (plus
 * read-only trainer settings), so the same function can later run on a worker's replica.
 */
export type LossAndMetrics<TBatch> = (batch: TBatch) => MicroBatchOutput;

/** One micro-batch's numbers, read back to the host. */
export interface MicroBatchResult {
  /** The value of {@link MicroBatchOutput.loss}. */
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly outputs: Readonly<Record<string, Float32Array>>;
}

/** Settings of one {@link microBatchStep}. */
export interface MicroBatchStepOptions<TBatch> {
  readonly optimizer: AdamWOptimizer;
  /** The trainable variables by stable name (the names of the optimiser's state). */
  readonly variables: NamedVariables;
  readonly lossAndMetrics: LossAndMetrics<TBatch>;
  /** The micro-batches of this optimiser step, in the order their gradients are added. */
  readonly microBatches: readonly TBatch[];
  /**
   * How gradients combine: `'mean'` divides each by the number of micro-batches (each loss is a
   * mean over its own micro-batch: transformers' `gradient_accumulation_steps`); `'sum'` adds
   * them (each loss is already normalised over the whole step, as SFT's per-token loss).
   */
  readonly reduction: 'mean' | 'sum';
  /** The scheduled learning rate of this optimiser step. */
  readonly learningRate: number;
  /** Clip the global gradient norm to this; `Infinity` computes the norm without clipping. */
  readonly maxGradNorm: number;
  /** 0-based training step, for `NonFiniteError` messages. */
  readonly stepIndex: number;
  /**
   * Called after micro-batch `index` once its loss is known finite, before the next micro-batch
   * runs: for state that later micro-batches read (bco_pair's running mean). A throw aborts the
   * step before any weight changes.
   */
  readonly afterMicroBatch?: (result: MicroBatchResult, index: number) => void | Promise<void>;
}

/** What {@link microBatchStep} returns. */
export interface MicroBatchStepResult {
  /**
   * `loss` (the mean of the micro-batch losses under `'mean'`, their sum under `'sum'`), then the
   * mean over micro-batches of every metric (a metric named `loss` replaces the combined loss),
   * `grad_norm` (before clipping) and `learning_rate`.
   */
  readonly metrics: Readonly<Record<string, number>>;
  /** The global gradient norm before clipping (TRL's `grad_norm`). */
  readonly gradNorm: number;
  /** Every micro-batch's numbers, in order. */
  readonly microBatches: readonly MicroBatchResult[];
}

/**
 * One optimiser step over micro-batches, the part every dpo-ts trainer shares:
 *
 *   for each micro-batch b_i, in order:  (L_i, metrics_i) = lossAndMetrics(b_i);  g_i = dL_i/dtheta
 *                                         L_i must be finite;  afterMicroBatch(i)
 *   g = sum_i g_i / n  ('mean')  or  sum_i g_i  ('sum')
 *   clip g to a global L2 norm of maxGradNorm; grad_norm must be finite; AdamW(g, learningRate)
 *
 * The trainer supplies only its loss of one micro-batch; gradients, accumulation in a fixed
 * order, metric combination, clipping, the non-finite guard and the optimiser update happen
 * here once. A non-finite loss or gradient norm throws `NonFiniteError` before any weight
 * changes.
 *
 * Tensors: everything `lossAndMetrics` returns and every gradient is disposed here; the call
 * leaves no tensor behind (only the variables and the optimiser state change).
 *
 * @example
 * const { metrics } = await microBatchStep({
 *   optimizer, variables, microBatches: batches, reduction: 'mean', learningRate: schedule(i),
 *   maxGradNorm: 1, stepIndex: i,
 *   lossAndMetrics: (batch) => ({ loss: lossOf(batch), metrics: { accuracy: accuracyOf(batch) } }),
 * });
 */
export async function microBatchStep<TBatch>(options: MicroBatchStepOptions<TBatch>): Promise<MicroBatchStepResult> {
  const { microBatches, stepIndex } = options;
  if (!Array.isArray(microBatches) || microBatches.length === 0) {
    throw new InvalidArgumentError('microBatches', 'at least one micro-batch', microBatches);
  }
  const divisor = options.reduction === 'mean' ? microBatches.length : 1;
  const accumulated = new Map<string, tf.Tensor>();
  const results: MicroBatchResult[] = [];
  try {
    for (let index = 0; index < microBatches.length; index++) {
      const { grads, result } = await gradientsOf(options.lossAndMetrics, microBatches[index]!, options.variables, stepIndex);
      try {
        await options.afterMicroBatch?.(result, index);
      } catch (error) {
        tf.dispose([...grads.values()]);
        throw error;
      }
      accumulateGradients(accumulated, grads, divisor);
      results.push(result);
    }
    const gradNorm = await applyGradientStep(options.optimizer, accumulated, {
      maxGradNorm: options.maxGradNorm,
      learningRate: options.learningRate,
      stepIndex,
    });
    const means = new MetricAccumulator();
    for (const result of results) means.add({ [METRIC_NAMES.loss]: result.loss, ...result.metrics });
    const combined = means.mean();
    if (options.reduction === 'sum' && !(METRIC_NAMES.loss in results[0]!.metrics)) {
      combined[METRIC_NAMES.loss] = results.reduce((sum, result) => sum + result.loss, 0);
    }
    return {
      metrics: { ...combined, [METRIC_NAMES.gradNorm]: gradNorm, [METRIC_NAMES.learningRate]: options.learningRate },
      gradNorm,
      microBatches: results,
    };
  } finally {
    tf.dispose([...accumulated.values()]);
  }
}

/** Gradients and host numbers of one micro-batch; the caller disposes the gradients. */
async function gradientsOf<TBatch>(
  lossAndMetrics: LossAndMetrics<TBatch>,
  batch: TBatch,
  variables: NamedVariables,
  stepIndex: number,
): Promise<{ grads: Map<string, tf.Tensor>; result: MicroBatchResult }> {
  let metricTensors: Record<string, tf.Tensor> = {};
  let outputTensors: Record<string, tf.Tensor> = {};
  let computed: ReturnType<typeof computeNamedGradients>;
  try {
    computed = computeNamedGradients(() => {
      const output = lossAndMetrics(batch);
      // Copies, kept past the tape: a metric may be the loss tensor itself, which the tape returns.
      metricTensors = keepCopies(output.metrics ?? {});
      outputTensors = keepCopies(output.outputs ?? {});
      return output.loss;
    }, variables);
  } catch (error) {
    tf.dispose([...Object.values(metricTensors), ...Object.values(outputTensors)]);
    throw error;
  }
  const { value, grads } = computed;
  try {
    const loss = (await value.data())[0]!;
    assertFinite(METRIC_NAMES.loss, loss, stepIndex);
    const metrics = await readScalars(metricTensors);
    const outputs = await readArrays(outputTensors);
    return { grads, result: { loss, metrics, outputs } };
  } catch (error) {
    tf.dispose([...grads.values()]);
    throw error;
  } finally {
    tf.dispose([value, ...Object.values(metricTensors), ...Object.values(outputTensors)]);
  }
}

function keepCopies(tensors: Readonly<Record<string, tf.Tensor>>): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(tensors).map(([name, tensor]) => [name, tf.keep(tf.clone(tensor))]));
}

async function readScalars(tensors: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  const entries = Object.entries(tensors);
  const values = await Promise.all(entries.map(([, tensor]) => tensor.data()));
  return Object.fromEntries(entries.map(([name], i) => [name, values[i]![0]!]));
}

async function readArrays(tensors: Record<string, tf.Tensor>): Promise<Record<string, Float32Array>> {
  const entries = Object.entries(tensors);
  const values = await Promise.all(entries.map(([, tensor]) => tensor.data()));
  return Object.fromEntries(entries.map(([name], i) => [name, Float32Array.from(values[i]!)]));
}
