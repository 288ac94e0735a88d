import * as tf from '@tensorflow/tfjs-core';

/**
 * Small differentiable building blocks the loss variants share. Internal to `losses/`: every
 * function here returns a new tensor the caller owns, and none disposes its inputs.
 */

/**
 * Identity in the forward pass, zero gradient in the backward pass: the `detach()` of PyTorch,
 * which tfjs-core does not ship. Used for reference scores, reported rewards and the bco_pair
 * shift, which TRL all computes under `torch.no_grad()` or `.detach()`.
 *
 * Shapes: any; the result has the input's shape.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const detach = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    // clone, not the input itself: a custom op must produce a tensor of its own.
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return detach(x) as T;
}

/**
 * log(sigmoid(x)) = -softplus(-x), finite for |x| of any size (softplus kernels switch to x or
 * exp(x) beyond a threshold), with gradient sigmoid(-x).
 *
 * Why not `tf.logSigmoid`: tfjs implements it as a custom gradient whose backward pass reads its
 * input tensor from a closure instead of saving it. Inside a loss's `tf.tidy`, that input (an
 * intermediate such as beta * logits) is disposed when the tidy ends, so a later
 * `tf.variableGrads` fails with "Cannot read properties of undefined (reading 'backend')". The
 * Softplus and Neg kernels save what their gradients need, so this composition survives tidy.
 *
 * Shapes: any; elementwise.
 */
export function logSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.neg(tf.softplus(tf.neg(x)));
}

/**
 * The values of `x` in ascending order, differentiable: the gradient of output i flows to the
 * input that landed at position i (ties are broken arbitrarily, which cannot change the value).
 * PyTorch's `torch.sort(x, dim=0)[0]`, needed by the AOT losses.
 *
 * tfjs has no gradient for TopK, so the permutation is computed inside a custom op (whose inner
 * kernels the tape does not record) and the backward pass scatters dy back through it.
 *
 * Shapes: `[n] -> [n]`.
 */
export function sortAscending(x: tf.Tensor1D): tf.Tensor1D {
  const sort = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor1D;
    const save = args[1] as tf.GradSaveFunc;
    const n = input.shape[0] ?? 0;
    // topk of -x is x in ascending order.
    const { values, indices } = tf.topk(tf.neg(input), n, true);
    save([indices]);
    return {
      value: tf.neg(values),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.unsortedSegmentSum(dy, saved[0] as tf.Tensor1D, n),
    };
  });
  return sort(x) as tf.Tensor1D;
}

/**
 * `scores / max(lengths, 1)`: a summed score turned into a per-unit (per-token) average. The
 * clamp at 1 is TRL's `completion_mask.sum(dim=1).clamp(min=1.0)`, so an empty completion
 * counts as one unit instead of dividing by zero.
 *
 * Shapes: `[batch], [batch] -> [batch]`.
 */
export function perUnit(scores: tf.Tensor1D, lengths: tf.Tensor1D): tf.Tensor1D {
  return tf.div(scores, tf.maximum(lengths, 1));
}

/**
 * The label-smoothed logistic loss shared by `sigmoid` (cDPO), `aot` and `aot_unpaired`:
 * -(1 - epsilon) * logSigmoid(z) - epsilon * logSigmoid(-z). Stable for |z| of any size.
 *
 * Shapes: `[n] -> [n]`.
 */
export function smoothedLogisticLoss(z: tf.Tensor1D, epsilon: number): tf.Tensor1D {
  const clean = tf.mul(-(1 - epsilon), logSigmoid(z)) as tf.Tensor1D;
  if (epsilon === 0) return clean;
  return tf.sub(clean, tf.mul(epsilon, logSigmoid(tf.neg(z)))) as tf.Tensor1D;
}

/**
 * DPO's logits: (chosenLogRatio - rejectedLogRatio), i.e. the policy's preference margin minus
 * the reference's. Shapes: `[batch], [batch] -> [batch]`.
 */
export function preferenceLogits(chosenLogRatios: tf.Tensor1D, rejectedLogRatios: tf.Tensor1D): tf.Tensor1D {
  return tf.sub(chosenLogRatios, rejectedLogRatios);
}
