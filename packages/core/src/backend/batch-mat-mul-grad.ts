import * as tf from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { asIs, matMulSummedTo, transposeLastTwo, transposeOf } from './matmul-products.js';

/**
 * Gradient of `BatchMatMul` (tf.matMul) that issues only non-transposed matmuls, with one side
 * 2-D wherever the batch allows: the only form that wasm runs on XNNPACK (~8-20 GFLOP/s); every
 * transposed or batched product falls to a scalar loop (~0.6-1.2 GFLOP/s). tfjs's own gradient
 * calls transposed matmuls, so on wasm the backward pass of a matmul is ~8x its forward pass.
 *
 * The maths, for C = A' B' with A' = transposeA ? A^T : A and B' = transposeB ? B^T : B
 * (transposes on the last two axes), upstream gradient dC:
 * - dA' = dC B'^T and dB' = A'^T dC;
 * - dA = dA' (or dA'^T when transposeA), dB likewise; written out per flag combination:
 *   - neither: dA = dC B^T, dB = A^T dC
 *   - transposeB: dA = dC B, dB = dC^T A
 *   - transposeA: dA = B dC^T, dB = A dC
 *   - both: dA = (dC B)^T, dB = (A dC)^T (one transpose of the result instead of two inputs)
 * - batch axes follow tf.matMul's broadcasting; the gradient of a broadcast operand is summed
 *   over its copies. tfjs 4.22's own gradient does not sum (it fails with a shape error for
 *   broadcast batches); this one does. When the operand is shared by the whole batch (a weight
 *   matrix), the sum is folded into one 2-D matmul: dW = [k, B*m] x [B*m, n].
 *
 * Shapes: a [...batchA, m, k] (or [..., k, m] when transposeA), b [...batchB, k, n] (or
 * [..., n, k]), dy [...broadcast(batchA, batchB), m, n]. The gradients have the shapes of a and
 * b. Tensors are created inside the engine's gradient tidy; nothing needs disposing by callers.
 *
 * Registered by {@link registerGradientOverrides}; identical maths on every backend.
 */
export const batchMatMulGradConfig: GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const upstream = dy as tf.Tensor;
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    return {
      a: () => {
        if (!transposeA) return matMulSummedTo(asIs(upstream), transposeB ? asIs(b) : transposeOf(b), batchA);
        if (!transposeB) return matMulSummedTo(asIs(b), transposeOf(upstream), batchA);
        return tf.tidy(() => transposeLastTwo(matMulSummedTo(asIs(upstream), asIs(b), batchA)));
      },
      b: () => {
        if (!transposeB) return matMulSummedTo(transposeA ? asIs(a) : transposeOf(a), asIs(upstream), batchB);
        if (!transposeA) return matMulSummedTo(transposeOf(upstream), asIs(a), batchB);
        return tf.tidy(() => transposeLastTwo(matMulSummedTo(asIs(a), asIs(upstream), batchB)));
      },
    };
  },
};
