import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { requireNumber } from '../errors/validate.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';

/**
 * TR-DPO's soft reference update: pi_ref <- alpha * pi_theta + (1 - alpha) * pi_ref, weight by
 * weight (alpha = 1 copies the policy: the "hard" update).
 *
 * @see Gorbatovski et al. 2024, "Learn Your Reference Model for Real Good Alignment", Eq. 6;
 *   TRL `sync_ref_model`, `ref_model_mixup_alpha` (default 0.6), `ref_model_sync_steps` (512).
 * @param policy - the trained model's variables by stable name.
 * @param reference - the reference model's variables; same names and shapes.
 */
export function syncReferenceWeights(policy: NamedVariables, reference: NamedVariables, alpha: number): void {
  requireNumber('alpha', alpha, { min: 0, max: 1 });
  for (const name of reference.keys()) {
    if (!policy.has(name))
      throw new InvalidArgumentError(
        'policy',
        `a variable named "${name}" (as the reference has)`,
        [...policy.keys()].slice(0, 5),
      );
    const source = policy.get(name)!;
    const target = reference.get(name)!;
    if (source.shape.join() !== target.shape.join())
      throw new ShapeMismatchError(`policy variable "${name}"`, target.shape, source.shape);
  }
  tf.tidy(() => {
    for (const [name, target] of reference) {
      target.assign(tf.add(tf.mul(policy.get(name)!, alpha), tf.mul(target, 1 - alpha)));
    }
  });
}
