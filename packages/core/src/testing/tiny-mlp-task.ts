import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import type { ParallelTask, ParallelTaskSpec } from '../parallel/parallel-task.js';
import { Rng } from '../training/rng.js';

/** Configuration of {@link createTinyMLPTask} (JSON: it travels to worker threads). */
export type TinyMLPTaskConfig = {
  /** Features per input row: the width of `x`. */
  readonly inputSize: number;
  /** Units of the tanh hidden layer. */
  readonly hiddenSize: number;
  /** Targets per row: the width of `y` and of the prediction. */
  readonly outputSize: number;
  /** Seed of the initial weights. */
  readonly seed: number;
  /** Add a trainable variable no loss uses (it must get no gradient entry). @defaultValue false */
  readonly unusedVariable?: boolean;
  /** Multiply the prediction by a frozen (non-trainable) `outputScale` `[outputSize]`, initially 1s. @defaultValue false */
  readonly frozenOutputScale?: boolean;
  /**
   * Fail on purpose at this micro-batch, for error-path tests: `'throw'` an error, `'exit'` the
   * thread (`process.exit(3)`; workers only), `'leak'` a tensor.
   */
  readonly fail?: {
    /** The 0-based micro-batch index (within a step) that fails. */
    readonly microBatchIndex: number;
    /** How it fails: throw a DPOTSError, exit the thread, or keep one scalar tensor alive. */
    readonly mode: 'throw' | 'exit' | 'leak';
  };
};

/** A micro-batch of {@link createTinyMLPTask}: row-major inputs and targets, plain arrays. */
export type TinyMLPBatch = {
  /** `[rows, inputSize]` */
  readonly x: Float32Array;
  /** `[rows, outputSize]` */
  readonly y: Float32Array;
  /** Rows in this micro-batch. */
  readonly rows: number;
};

/**
 * A two-layer tanh MLP regression task for data-parallel tests:
 *
 *   prediction = (tanh(x W1 + b1) W2 + b2) * outputScale   (outputScale only with frozenOutputScale);   loss_k = sum over rows and outputs (prediction - y)^2 / N
 *
 * with N = `context.step.totalRows` when the step passes it (a step-wide mean, as SFT's
 * token-mean loss), else the micro-batch's rows. Metrics: `sse` (the un-normalised sum) and
 * `rows`; output `rowErrors`, `[rows]`. Weights are drawn from `seed`; their variables have no
 * tfjs name, so any number of replicas can live in one engine. `dispose()` frees them.
 */
export function createTinyMLPTask(config: TinyMLPTaskConfig): ParallelTask<TinyMLPBatch> {
  const { inputSize, hiddenSize, outputSize, seed } = config;
  const variable = (shape: number[], offset: number): tf.Variable => {
    const initial = tf.randomNormal(shape, 0, 0.5, 'float32', seed + offset);
    const created = tf.variable(initial);
    initial.dispose();
    return created;
  };
  const namedVariables = new Map<string, tf.Variable>([
    ['l1.kernel', variable([inputSize, hiddenSize], 1)],
    ['l1.bias', variable([hiddenSize], 2)],
    ['l2.kernel', variable([hiddenSize, outputSize], 3)],
    ['l2.bias', variable([outputSize], 4)],
  ]);
  if (config.unusedVariable) namedVariables.set('unused', variable([3], 5));
  if (config.frozenOutputScale) namedVariables.set('outputScale', tf.variable(tf.ones([outputSize]), false));
  const v = (name: string) => namedVariables.get(name)!;
  return {
    namedVariables,
    lossAndMetrics(batch, context) {
      if (config.fail?.microBatchIndex === context.microBatchIndex) {
        if (config.fail.mode === 'exit') process.exit(3);
        if (config.fail.mode === 'throw')
          throw new DPOTSError(`tiny MLP task: injected failure on micro-batch ${context.microBatchIndex}`);
        tf.keep(tf.scalar(1));
      }
      const x = tf.tensor2d(batch.x, [batch.rows, inputSize]);
      const y = tf.tensor2d(batch.y, [batch.rows, outputSize]);
      const hidden = tf.tanh(tf.add(tf.matMul(x, v('l1.kernel')), v('l1.bias'))); // [rows, hidden]
      const linear = tf.add(tf.matMul(hidden, v('l2.kernel')), v('l2.bias')); // [rows, out]
      const prediction = config.frozenOutputScale ? tf.mul(linear, v('outputScale')) : linear;
      const rowErrors = tf.sum(tf.square(tf.sub(prediction, y)), 1); // [rows, out] -> [rows]
      const sse = tf.sum(rowErrors) as tf.Scalar;
      const step = context.step as { totalRows?: number } | null;
      const loss = tf.div(sse, step?.totalRows ?? batch.rows) as tf.Scalar;
      return { loss, metrics: { sse, rows: tf.scalar(batch.rows) }, outputs: { rowErrors } };
    },
    dispose: () => tf.dispose([...namedVariables.values()]),
  };
}

/** The spec that builds {@link createTinyMLPTask}(config) in a worker. */
export function tinyMLPTaskSpec(config: TinyMLPTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/core/testing', export: 'createTinyMLPTask', config };
}

/** `count` seeded micro-batches of `rows` rows for a {@link createTinyMLPTask} of these sizes. */
export function tinyMLPBatches(
  config: Pick<TinyMLPTaskConfig, 'inputSize' | 'outputSize'>,
  count: number,
  rows: number,
  seed: number,
): TinyMLPBatch[] {
  const rng = new Rng(seed);
  const fill = (length: number) => Float32Array.from({ length }, () => rng.normal());
  return Array.from({ length: count }, () => ({
    x: fill(rows * config.inputSize),
    y: fill(rows * config.outputSize),
    rows,
  }));
}
