import * as tf from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Gradient of tf.gather with respect to the gathered tensor, as one scatter-add (ScatterNd,
 * which sums duplicate indices) instead of UnsortedSegmentSum, which wasm lacks.
 *
 * The maths: out[b, o, j, i] = x[b, o, indices[b, j], i] (b: batch axes, o: axes before `axis`,
 * j: index axes, i: axes after), so dx[b, o, v, i] = sum over j with indices[b, j] = v of
 * dy[b, o, j, i]: repeated indices (the same token twice in a batch) add up.
 * Measured on wasm, 1024 indices, rows of 128: vocabulary 96 0.6 ms, 1,000 1.0 ms, 50,000
 * 138 ms; a one-hot matmul takes 6 ms, 43 ms and minutes.
 *
 * Shapes: xShape [...batch, ...outer, V, ...inner] with batch = the first `batchDims` axes,
 * indices [...batch, ...J] (int32), dy [...batch, ...outer, ...J, ...inner]. Returns xShape
 * (float32); the caller owns it.
 */
export function gatherGradient(
  xShape: readonly number[],
  indices: tf.Tensor,
  dy: tf.Tensor,
  axis: number,
  batchDims = 0,
): tf.Tensor {
  return tf.tidy(() => {
    const gatherAxis = tf.util.parseAxisParam(axis, xShape.slice())[0]!;
    const leading = batchDims < 0 ? batchDims + indices.rank : batchDims;
    if (!Number.isInteger(leading) || leading < 0 || leading > gatherAxis || leading > indices.rank) {
      throw new InvalidArgumentError(
        'GatherV2 batchDims',
        `an integer in [0, min(axis, indices rank)] = [0, ${Math.min(gatherAxis, indices.rank)}]`,
        batchDims,
      );
    }
    const batch = size(xShape.slice(0, leading));
    const outer = size(xShape.slice(leading, gatherAxis));
    const vocabulary = xShape[gatherAxis]!;
    const inner = size(xShape.slice(gatherAxis + 1));
    const count = size(indices.shape.slice(leading));
    // dy -> [batch, outer, count, inner] -> [batch * count, outer * inner]
    let updates = tf.reshape(dy, [batch, outer, count, inner]);
    if (outer > 1) updates = tf.transpose(updates, [0, 2, 1, 3]);
    updates = tf.reshape(updates, [batch * count, outer * inner]);
    let positions = tf.reshape(tf.cast(indices, 'int32'), [batch * count, 1]);
    if (batch > 1) {
      const batchIndex = tf.broadcastTo(tf.reshape(tf.range(0, batch, 1, 'int32'), [batch, 1]), [batch, count]);
      positions = tf.concat([tf.reshape(batchIndex, [batch * count, 1]), positions], 1); // [batch * count, 2]
    }
    const shape = batch > 1 ? [batch, vocabulary, outer * inner] : [vocabulary, outer * inner];
    let summed = tf.reshape(tf.scatterND(positions, updates, shape), [batch, vocabulary, outer, inner]);
    if (outer > 1) summed = tf.transpose(summed, [0, 2, 1, 3]); // -> [batch, outer, vocabulary, inner]
    return tf.reshape(summed, xShape.slice());
  });
}

/**
 * Gradient of `GatherV2` (tf.gather, embedding lookups) built on ScatterNd: see
 * {@link gatherGradient}. Supports every axis and batchDims. The indices get a zero gradient
 * (they are integers; tfjs never asks for it). Tensors live in the engine's gradient tidy.
 */
export const gatherV2GradConfig: GradConfig = {
  kernelName: tf.GatherV2,
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, indices] = saved as [tf.Tensor, tf.Tensor];
    const { axis, batchDims } = attrs as unknown as GatherV2Attrs;
    return {
      x: () => gatherGradient(x.shape, indices, dy as tf.Tensor, axis, batchDims),
      indices: () => tf.zeros(indices.shape, 'float32'),
    };
  },
};
