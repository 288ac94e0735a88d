import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '../metrics/metric-names.js';
import type { AdamWOptimizer, GradientMap } from './adamw-optimizer.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { assertFinite } from './non-finite-guard.js';

/** Settings of one {@link applyGradientStep}. */
export interface GradientStepOptions {
  /** Clip the global gradient norm to this; `Infinity` computes the norm without clipping. */
  readonly maxGradNorm: number;
  /** The scheduled learning rate of this optimiser step. */
  readonly learningRate: number;
  /** 0-based training step, for the `NonFiniteError` message. */
  readonly stepIndex: number;
}

/**
 * The end of every trainer's optimiser step: clip the gradients to a global L2 norm of
 * `maxGradNorm` ({@link clipGradNorm}, PyTorch's `clip_grad_norm_`), check that the norm
 * before clipping is finite, then apply AdamW with `learningRate`.
 *
 *   norm = sqrt(sum_i ||g_i||^2);  g_i <- g_i * min(1, maxGradNorm / (norm + 1e-6));  AdamW(g)
 *
 * A NaN or infinite norm throws `NonFiniteError` naming `grad_norm` and the step *before* any
 * weight changes. After the update, the weights are checked (one fused reduction and a 4-byte
 * download, see `AdamWOptimizer.findNonFinite`): a non-finite value (an overflow, 0/0 with
 * epsilon 0) throws `NonFiniteError` naming the step and the first bad variable, so the
 * training loop stops before it can write a checkpoint of those weights. m and v need no
 * per-step check: a finite gradient keeps them finite, they are checked when loaded, and
 * `saveCheckpoint` checks them again before writing.
 *
 * Tensors: `grads` are read, not disposed (the caller owns them); the clipped copies and the
 * norm are freed here, so the call leaves no tensor behind.
 *
 * @returns the global gradient norm before clipping: TRL's and transformers' `grad_norm`.
 * @example
 * const { value, grads } = computeNamedGradients(loss, trainable);
 * try {
 *   gradNorm = await applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: schedule(i), stepIndex: i });
 * } finally {
 *   tf.dispose([value, ...grads.values()]);
 * }
 */
export async function applyGradientStep(
  optimizer: AdamWOptimizer,
  grads: GradientMap,
  options: GradientStepOptions,
): Promise<number> {
  const { grads: clipped, norm } = clipGradNorm(grads, options.maxGradNorm);
  try {
    const gradNorm = (await norm.data())[0]!;
    assertFinite(METRIC_NAMES.gradNorm, gradNorm, options.stepIndex);
    optimizer.applyGradients(clipped, options.learningRate);
    const bad = await optimizer.findNonFinite({ moments: false });
    if (bad !== undefined) {
      throw new NonFiniteError(
        bad.name,
        options.stepIndex,
        bad.value,
        `element ${bad.index}, after the optimizer update; training stopped before saving`,
      );
    }
    return gradNorm;
  } finally {
    tf.dispose([norm, ...clipped.values()]);
  }
}
