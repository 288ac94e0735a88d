import { InvalidArgumentError } from '@dpo-ts/core';
import type { Denoiser } from '../denoiser.js';
import { cloneDenoiser } from '../denoiser-checkpoint.js';

/**
 * The reference denoiser of a Diffusion-DPO run, every variable marked `trainable: false`:
 * `referenceModel`, or a clone of `model` (`cloneDenoiser`) when it is omitted, which the
 * caller then owns and disposes; `undefined` when `referenceFree`.
 * @throws InvalidArgumentError when `referenceModel` is `model` itself: freezing it would freeze
 *   the policy too, and the scores of policy and reference would be equal at every step.
 */
export function frozenReference(model: Denoiser, referenceModel: Denoiser | undefined, referenceFree: boolean): Denoiser | undefined {
  if (referenceModel !== undefined && referenceModel === model) {
    throw new InvalidArgumentError(
      'options.referenceModel',
      'a separate denoiser (cloneDenoiser(model)), not the policy itself',
      'the policy',
      'omit it for a frozen clone of the policy, or set config.referenceFree: true for no reference',
    );
  }
  if (referenceFree) return undefined;
  const reference = referenceModel ?? cloneDenoiser(model);
  for (const variable of reference.namedVariables().values()) variable.trainable = false;
  return reference;
}
