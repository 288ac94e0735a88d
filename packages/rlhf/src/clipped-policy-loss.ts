import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, requireNumber } from '@dpo-ts/core';
import { maskedMean } from './whiten.js';

/** Inputs of {@link clippedPolicyLoss}; every tensor has the same shape (`[B, T]` per token, or `[N]` per step). */
export interface ClippedPolicyLossInputs {
  /** log π_θ(a) under the current parameters (on the gradient tape). */
  readonly logProbs: tf.Tensor;
  /** log π_θ_old(a) when the actions were sampled (constants). */
  readonly oldLogProbs: tf.Tensor;
  /** Â (constants), usually whitened. */
  readonly advantages: tf.Tensor;
  /** 1 where the entry counts; omitted: all entries count. */
  readonly mask?: tf.Tensor;
  /** ε of the clip range [1 - ε, 1 + ε]. TRL's `cliprange`: 0.2. */
  readonly cliprange: number;
}

/** The loss and its diagnostics, scalars the caller disposes. */
export type ClippedPolicyLoss = {
  /** masked_mean(max(-Â ρ, -Â clip(ρ, 1 - ε, 1 + ε))): minimise it. */
  readonly loss: tf.Scalar;
  /** Fraction of entries where the clipped term is the larger one (TRL's `pg_clipfrac`, logged as `policy/clipfrac_avg`). */
  readonly clipFraction: tf.Scalar;
  /** 0.5 masked_mean((log π_θ - log π_old)^2), TRL's `approxkl` (`policy/approxkl_avg`). */
  readonly approxKl: tf.Scalar;
  /** masked_mean(ρ) (`val/ratio`). */
  readonly ratioMean: tf.Scalar;
};

/**
 * PPO's clipped surrogate objective, negated into a loss, per token (PPO for LMs) or per
 * denoising step (DDPO):
 *
 *   ρ = exp(log π_θ - log π_old)
 *   L = mean over unmasked entries of max(-Â ρ, -Â clip(ρ, 1 - ε, 1 + ε))
 *
 * The max of the two negated terms is the min of Schulman's L^CLIP: the update gains nothing by
 * moving ρ beyond the clip range in the advantage's favour. The log-ratio is masked before the
 * exp, so masked entries may hold anything.
 *
 * @see Schulman et al. 2017, "Proximal Policy Optimization Algorithms", Eq. 7; TRL
 *   `PPOTrainer.train` (`pg_losses`, `pg_losses2`, `pg_clipfrac`, `approxkl`); Black et al. 2023
 *   (DDPO) use the same objective per denoising step.
 * @returns new scalars; the caller disposes them. `loss` is differentiable in `logProbs`.
 */
export function clippedPolicyLoss(inputs: ClippedPolicyLossInputs): ClippedPolicyLoss {
  const { logProbs, oldLogProbs, advantages, mask } = inputs;
  const cliprange = requireNumber('cliprange', inputs.cliprange, { min: 0 });
  for (const [name, tensor] of [
    ['oldLogProbs', oldLogProbs],
    ['advantages', advantages],
    ['mask', mask],
  ] as const) {
    if (tensor !== undefined && tensor.shape.join() !== logProbs.shape.join())
      throw new ShapeMismatchError(name, logProbs.shape, tensor.shape);
  }
  return tf.tidy(() => {
    let logRatio = tf.sub(logProbs, oldLogProbs);
    if (mask !== undefined) logRatio = tf.where(tf.greater(mask, 0), logRatio, tf.zerosLike(logRatio));
    const ratio = tf.exp(logRatio);
    const unclipped = tf.mul(tf.neg(advantages), ratio);
    const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - cliprange, 1 + cliprange));
    return {
      loss: maskedMean(tf.maximum(unclipped, clipped), mask),
      clipFraction: maskedMean(tf.cast(tf.greater(clipped, unclipped), 'float32'), mask),
      approxKl: tf.mul(0.5, maskedMean(tf.square(logRatio), mask)) as tf.Scalar,
      ratioMean: maskedMean(ratio, mask),
    };
  });
}
