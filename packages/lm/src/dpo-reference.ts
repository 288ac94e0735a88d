import { InvalidArgumentError, type Checkpointable } from '@dpo-ts/core';
import type { CausalLanguageModel } from './causal-lm.js';

/**
 * `model.clone()`: DPO's default reference, a copy of the starting policy (core's
 * `prepareReference` freezes it and disposes it with the trainer).
 * @throws InvalidArgumentError when the model has no `clone()`.
 */
export function frozenCopy<M extends CausalLanguageModel & Checkpointable>(model: M): M {
  const clone = (model as Partial<{ clone(): M }>).clone;
  if (typeof clone !== 'function') {
    throw new InvalidArgumentError(
      'options.referenceModel',
      'a reference model when the policy has no clone() (or referenceFree: true)',
      undefined,
    );
  }
  const copy = clone.call(model);
  for (const variable of copy.namedVariables().values()) variable.trainable = false;
  return copy;
}
