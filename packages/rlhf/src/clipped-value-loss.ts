import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, requireNumber } from '@dpo-ts/core';
import { maskedMean } from './whiten.js';

/** Inputs of {@link clippedValueLoss}; every tensor has the same shape. */
export interface ClippedValueLossInputs {
  /** V_θ(s) under the current parameters (on the gradient tape). */
  readonly values: tf.Tensor;
  /** V_old(s) from the rollout (constants). */
  readonly oldValues: tf.Tensor;
  /** Value targets, Â + V_old (constants). */
  readonly returns: tf.Tensor;
  /** 1 where the entry counts; omitted: all entries count. */
  readonly mask?: tf.Tensor;
  /** δ of the clip range V_old ± δ. TRL's `cliprange_value`: 0.2. */
  readonly cliprangeValue: number;
}

/** The loss and its diagnostic, scalars the caller disposes. */
export type ClippedValueLoss = {
  /** 0.5 masked_mean(max((V - R)^2, (clip(V, V_old - δ, V_old + δ) - R)^2)) (`loss/value_avg`). */
  readonly loss: tf.Scalar;
  /** Fraction of entries where the clipped error is the larger one (`val/clipfrac_avg`). */
  readonly clipFraction: tf.Scalar;
};

/**
 * PPO's clipped value loss, as TRL (and OpenAI's baselines) compute it:
 *
 *   V_clip = V_old + clip(V - V_old, -δ, δ)
 *   L_V = 0.5 * mean over unmasked entries of max((V - R)^2, (V_clip - R)^2)
 *
 * The pessimistic max keeps the value function from moving further than δ from its rollout
 * estimate in one update, mirroring the policy's clip.
 *
 * @see Schulman et al. 2017, Eq. 9 (L^VF); TRL `PPOTrainer.train` (`vf_losses1`, `vf_losses2`,
 *   `vf_clipfrac`); Huang et al. 2024, "The N+ Implementation Details of RLHF with PPO".
 * @returns new scalars; the caller disposes them. `loss` is differentiable in `values`.
 */
export function clippedValueLoss(inputs: ClippedValueLossInputs): ClippedValueLoss {
  const { values, oldValues, returns, mask } = inputs;
  const cliprangeValue = requireNumber('cliprangeValue', inputs.cliprangeValue, { min: 0 });
  for (const [name, tensor] of [
    ['oldValues', oldValues],
    ['returns', returns],
    ['mask', mask],
  ] as const) {
    if (tensor !== undefined && tensor.shape.join() !== values.shape.join())
      throw new ShapeMismatchError(name, values.shape, tensor.shape);
  }
  return tf.tidy(() => {
    const clippedValues = tf.minimum(
      tf.maximum(values, tf.sub(oldValues, cliprangeValue)),
      tf.add(oldValues, cliprangeValue),
    );
    const unclippedLoss = tf.square(tf.sub(values, returns));
    const clippedLoss = tf.square(tf.sub(clippedValues, returns));
    return {
      loss: tf.mul(0.5, maskedMean(tf.maximum(unclippedLoss, clippedLoss), mask)) as tf.Scalar,
      clipFraction: maskedMean(tf.cast(tf.greater(clippedLoss, unclippedLoss), 'float32'), mask),
    };
  });
}
