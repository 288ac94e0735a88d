import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';

/** What {@link computeNamedGradients} returns; the caller disposes `value` and every gradient. */
export interface NamedGradients {
  /** The scalar f() evaluated on the way. */
  readonly value: tf.Scalar;
  /** d f / d variable, by the variables' stable names (not tfjs's internal variable names). */
  readonly grads: Map<string, tf.Tensor>;
}

/**
 * `tf.variableGrads` keyed by the stable names of a {@link NamedVariables} map, the form
 * {@link clipGradNorm} and {@link AdamWOptimizer.applyGradients} take.
 *
 * Non-trainable variables and variables f does not depend on get no entry (the optimiser then
 * leaves them alone, as PyTorch does for parameters whose `.grad` is None). f runs on the
 * gradient tape; its intermediates are freed.
 *
 * @returns the value and the gradients, new tensors the caller disposes.
 * @throws InvalidArgumentError when `variables` has no trainable variable.
 */
export function computeNamedGradients(f: () => tf.Scalar, variables: NamedVariables): NamedGradients {
  const entries = [...variables].filter(([, variable]) => variable.trainable);
  if (entries.length === 0)
    throw new InvalidArgumentError('variables', 'a map with at least one trainable variable', []);
  const { value, grads } = tf.variableGrads(
    f,
    entries.map(([, variable]) => variable),
  );
  const named = new Map<string, tf.Tensor>();
  for (const [name, variable] of entries) {
    const gradient = grads[variable.name];
    if (gradient != null) named.set(name, gradient);
  }
  return { value, grads: named };
}
