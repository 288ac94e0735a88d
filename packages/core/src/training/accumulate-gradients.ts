import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * Gradient accumulation over micro-batches: adds each gradient of `grads` into the same-named
 * entry of `accumulated`, divided by `divisor` first when it is not 1, so that after n calls
 * with divisor n `accumulated` holds the mean (transformers' `gradient_accumulation_steps`), or
 * with divisor 1 the sum (for losses already normalised over the whole step).
 *
 *   accumulated[name] <- accumulated[name] + grads[name] / divisor
 *
 * Tensors: takes ownership of `grads` (every tensor is either stored in `accumulated` or
 * disposed) and disposes the entries of `accumulated` it replaces. The caller disposes
 * `accumulated`'s values when done.
 */
export function accumulateGradients(
  accumulated: Map<string, tf.Tensor>,
  grads: ReadonlyMap<string, tf.Tensor>,
  divisor = 1,
): void {
  if (typeof divisor !== 'number' || !Number.isFinite(divisor) || divisor <= 0) {
    tf.dispose([...grads.values()]);
    throw new InvalidArgumentError('divisor', 'a finite number > 0', divisor);
  }
  for (const [name, gradient] of grads) {
    const scaled = divisor === 1 ? gradient : tf.div(gradient, divisor);
    if (scaled !== gradient) gradient.dispose();
    const previous = accumulated.get(name);
    if (previous === undefined) {
      accumulated.set(name, scaled);
    } else {
      accumulated.set(name, tf.add(previous, scaled));
      tf.dispose([previous, scaled]);
    }
  }
}
