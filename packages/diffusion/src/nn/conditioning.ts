import * as tf from '@tensorflow/tfjs-core';
import type { ParameterStore } from './parameter-store.js';
import { createDense, dense, silu, type DenseParams } from './layers.js';
import { timestepEmbedding } from './timestep-embedding.js';

/** Weights of the (timestep, class) conditioning embedding. */
export interface ConditioningParams {
  readonly sinusoidDim: number;
  readonly time1: DenseParams;
  readonly time2: DenseParams;
  /** `[numClasses + 1, embedDim]`; the last row is the null class. */
  readonly classTable: tf.Variable;
}

/** Creates the time MLP (`emb.time.0`, `emb.time.1`) and the class table (`emb.class`). */
export function createConditioning(
  store: ParameterStore,
  sinusoidDim: number,
  embedDim: number,
  numClasses: number,
): ConditioningParams {
  return {
    sinusoidDim,
    time1: createDense(store, 'emb.time.0', sinusoidDim, embedDim),
    time2: createDense(store, 'emb.time.1', embedDim, embedDim),
    classTable: store.normal('emb.class', [numClasses + 1, embedDim]),
  };
}

/**
 * emb(t, c) = W2 silu(W1 sinusoid(t) + b1) + b2 + E[c] (Ho et al. 2020's timestep MLP plus a
 * learned class embedding, with row numClasses the null class of classifier-free guidance).
 *
 * The class lookup is one-hot times the table rather than `tf.gather`: the gather gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks; with 11 rows the matmul costs nothing.
 *
 * @param timesteps - `[batch]` float32; @param labels - `[batch]` int32 in [0, numClasses].
 * @returns `[batch, embedDim]`, a new tensor.
 */
export function conditioning(params: ConditioningParams, timesteps: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const time = dense(params.time2, silu(dense(params.time1, timestepEmbedding(timesteps, params.sinusoidDim))));
    const rows = params.classTable.shape[0]!;
    const oneHot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), rows), 'float32'); // [b, rows]
    return tf.add(time, tf.matMul(oneHot, params.classTable as tf.Tensor2D));
  });
}
