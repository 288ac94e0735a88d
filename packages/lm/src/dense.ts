import * as tf from '@tensorflow/tfjs-core';
import type { DenseParameters } from './gpt-parameters.js';

/**
 * `x W + b` as one 2-D matmul: `[N, in] x [in, out] + [out] -> [N, out]`.
 *
 * Deliberately not `tf.fused.matMul`: its gradient calls transposed matmuls directly, which
 * skip core's BatchMatMul gradient override and so run on wasm's slow path.
 * @returns a new tensor; the caller disposes it.
 */
export function dense(x: tf.Tensor2D, parameters: DenseParameters): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(x, parameters.kernel as tf.Tensor2D), parameters.bias));
}
