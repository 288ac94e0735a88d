import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MetricAccumulator } from '../metrics/metric-accumulator.js';
import { METRIC_NAMES } from '../metrics/metric-names.js';
import type { GradientEngine, MicroBatchResult } from '../parallel/gradient-engine.js';
import { InProcessGradientEngine } from '../parallel/in-process-gradient-engine.js';
import type { LossAndMetrics } from '../parallel/parallel-task.js';
import { secondsSince, stepPhaseMetrics, stepPhasesEnabled } from '../parallel/step-phases.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import type { AdamWOptimizer } from './adamw-optimizer.js';
import { applyFusedGradientStep, hostGradientSumOf } from './apply-fused-gradient-step.js';
import { applyGradientStep } from './apply-gradient-step.js';
import type { JsonValue } from './checkpoint-format.js';
import { assertFinite } from './non-finite-guard.js';

/**
 * Backends whose tensors live in host memory, where the fused AdamW step (one JavaScript pass
 * over flat buffers) costs about half the tensor ops (wasm, 0.83M weights: 12 against 23 CPU ms,
 * 2026-12-03) and reading the gradients out is one copy. Elsewhere (a GPU) the single-thread
 * path keeps the tensor ops.
 */
const HOST_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

/** Settings of one {@link microBatchStep}. */
export interface MicroBatchStepOptions<TBatch> {
  /** The AdamW optimiser that applies the averaged, clipped gradient to `variables`; the caller's. */
  readonly optimizer: AdamWOptimizer;
  /** The trainable variables by stable name (the names of the optimiser's state). */
  readonly variables: NamedVariables;
  /** The loss of one micro-batch; used when no `engine` is given (an engine carries its own). */
  readonly lossAndMetrics: LossAndMetrics<TBatch>;
  /**
   * Computes the micro-batch gradients: a worker pool from `createGradientEngine` (built on the
   * same variables and loss), or by default an {@link InProcessGradientEngine} on `variables`
   * and `lossAndMetrics`, which runs the micro-batches on the main thread. The caller owns and
   * closes an engine it passes. @defaultValue an in-process engine
   */
  readonly engine?: GradientEngine<TBatch>;
  /**
   * Step-wide JSON every micro-batch's loss receives as `context.step` (SFT's token count of
   * the whole step); it crosses to worker threads, so closures cannot carry it. @defaultValue null
   */
  readonly step?: JsonValue;
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
   * `grad_norm` (before clipping) and `learning_rate`; with `DPO_TS_STEP_PHASES=1`, the step's
   * phases in seconds (core's `STEP_PHASE_METRICS`: `time/compute`, `time/apply`, ...).
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
 * here once. The per-micro-batch gradients come from `options.engine` (worker threads) or, by
 * default, an in-process engine on the main thread; both sum in micro-batch order, so the
 * numbers do not depend on which. A non-finite loss or gradient norm throws `NonFiniteError` before any weight
 * changes. Clipping and AdamW run fused, in one JavaScript pass over the flat gradient sum
 * (`applyFusedGradientStep`: the worker pool's shared sum, or the gradients copied out on a
 * host-memory backend, wasm or cpu), so a step gives the same bits with 1 worker or several;
 * on other backends they run as tensor ops (`applyGradientStep`).
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
  const engine =
    options.engine ??
    new InProcessGradientEngine({ namedVariables: options.variables, lossAndMetrics: options.lossAndMetrics });
  const timed = stepPhasesEnabled();
  const {
    grads,
    microBatches: results,
    phases,
    host,
  } = await engine.computeGradients(microBatches, {
    stepIndex,
    phases: timed,
    hostSum: true,
    divisor: options.reduction === 'mean' ? microBatches.length : 1,
    step: options.step ?? null,
    afterMicroBatch: async (result, index) => {
      assertFinite(METRIC_NAMES.loss, result.loss, stepIndex);
      await options.afterMicroBatch?.(result, index);
    },
  });
  let gradNorm: number;
  const applying = performance.now();
  const stepOptions = { maxGradNorm: options.maxGradNorm, learningRate: options.learningRate, stepIndex };
  try {
    if (host !== undefined) {
      gradNorm = await applyFusedGradientStep(options.optimizer, host, options.variables, stepOptions);
    } else if (HOST_MEMORY_BACKENDS.has(tf.getBackend())) {
      const sum = await hostGradientSumOf(options.optimizer, options.variables, grads);
      gradNorm = await applyFusedGradientStep(options.optimizer, sum, options.variables, stepOptions);
    } else {
      gradNorm = await applyGradientStep(options.optimizer, grads, stepOptions);
    }
  } finally {
    tf.dispose([...grads.values()]);
  }
  const timings = timed ? stepPhaseMetrics({ ...phases, apply: secondsSince(applying) }) : {};
  const means = new MetricAccumulator();
  for (const result of results) means.add({ [METRIC_NAMES.loss]: result.loss, ...result.metrics });
  const combined = means.mean();
  if (options.reduction === 'sum' && !(METRIC_NAMES.loss in results[0]!.metrics)) {
    combined[METRIC_NAMES.loss] = results.reduce((sum, result) => sum + result.loss, 0);
  }
  return {
    metrics: {
      ...combined,
      [METRIC_NAMES.gradNorm]: gradNorm,
      [METRIC_NAMES.learningRate]: options.learningRate,
      ...timings,
    },
    gradNorm,
    microBatches: results,
  };
}
