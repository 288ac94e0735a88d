import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import type { Sampler, SamplerSpec } from '../parallel/sampler.js';
import { Rng } from '../training/rng.js';

/** Configuration of {@link createTinySampler} (JSON: it travels to worker threads). */
export type TinySamplerConfig = {
  /** Features of a task's input: the rows of the weight matrix. */
  readonly inputSize: number;
  /** Categories sampled from: the columns of the weight matrix. */
  readonly categories: number;
  /** Seed of the initial weights. */
  readonly seed: number;
};

/** One task of {@link createTinySampler}: an input row, how many draws, their seed. */
export type TinySamplingTask = {
  /** `[inputSize]` */
  readonly x: readonly number[];
  /** Categories to draw, independently, from the same distribution. */
  readonly count: number;
  /** Seed of the draws. */
  readonly seed: number;
  /** Fail on purpose, for error-path tests: throw, exit the thread (workers only), or keep a tensor. */
  readonly fail?: 'throw' | 'exit' | 'leak';
};

/** What one {@link TinySamplingTask} returns. */
export type TinySamplingResult = {
  /** `[count]` drawn categories. */
  readonly samples: Int32Array;
  /** `[count]` log-probability of each draw. */
  readonly logProbs: Float32Array;
};

/**
 * A categorical sampler for sampling-pool tests: `p = softmax(x W + b)` (tfjs), then `count`
 * inverse-CDF draws in float64 from `new Rng(task.seed)`. A pure function of the task and the
 * weights, as the `Sampler` contract asks. Variables `w` `[inputSize, categories]` and `b`
 * (frozen, `[categories]`) have no tfjs name; `dispose()` frees them.
 */
export function createTinySampler(config: TinySamplerConfig): Sampler<TinySamplingTask, TinySamplingResult> {
  const { inputSize, categories, seed } = config;
  const variable = (shape: number[], offset: number, trainable: boolean): tf.Variable => {
    const initial = tf.randomNormal(shape, 0, 1, 'float32', seed + offset);
    const created = tf.variable(initial, trainable);
    initial.dispose();
    return created;
  };
  const namedVariables = new Map<string, tf.Variable>([
    ['w', variable([inputSize, categories], 0, true)],
    ['b', variable([categories], 1, false)],
  ]);
  return {
    namedVariables,
    async sample(task) {
      if (task.fail === 'throw') throw new DPOTSError('tiny sampler: injected failure');
      if (task.fail === 'exit') process.exit(3);
      if (task.fail === 'leak') tf.keep(tf.scalar(1));
      const logProbs = tf.tidy(() =>
        tf.logSoftmax(
          tf.add(
            tf.matMul(tf.tensor2d([...task.x], [1, inputSize]), namedVariables.get('w')!),
            namedVariables.get('b')!,
          ),
        ),
      ); // [1, categories]
      const values = (await logProbs.data()) as Float32Array;
      logProbs.dispose();
      const rng = new Rng(task.seed);
      const samples = new Int32Array(task.count);
      const sampledLogProbs = new Float32Array(task.count);
      for (let i = 0; i < task.count; i++) {
        let u = rng.uniform();
        let k = 0;
        while (k < categories - 1 && u >= Math.exp(values[k]!)) u -= Math.exp(values[k++]!);
        samples[i] = k;
        sampledLogProbs[i] = values[k]!;
      }
      return { samples, logProbs: sampledLogProbs };
    },
    dispose: () => tf.dispose([...namedVariables.values()]),
  };
}

/** The spec that builds {@link createTinySampler}(config) in a worker. */
export function tinySamplerSpec(config: TinySamplerConfig): SamplerSpec {
  return { module: '@dpo-ts/core/testing', export: 'createTinySampler', config };
}
