import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, requireNumber } from '@dpo-ts/core';

/** Inputs of {@link bradleyTerryRewardLoss}. */
export interface RewardLossInputs {
  /** r(x, y_w) per pair, `[N]`. */
  readonly chosenRewards: tf.Tensor1D;
  /** r(x, y_l) per pair, `[N]`. */
  readonly rejectedRewards: tf.Tensor1D;
  /** Per-pair margin m (the JSONL `margin` field, as TRL), `[N]`; omitted means 0. */
  readonly margins?: tf.Tensor1D;
  /**
   * TRL's `center_rewards_coefficient` c: adds `c * mean((r_w + r_l)^2)`, pulling rewards
   * towards zero mean (Eisenstein et al. 2023, "Helping or Herding?", Eq. 2). TRL recommends
   * 0.01. @defaultValue undefined (no term)
   */
  readonly centerRewardsCoefficient?: number;
}

/** What {@link bradleyTerryRewardLoss} returns; every tensor belongs to the caller. */
// A type alias, not an interface, so it fits tf.tidy's TensorContainer.
export type RewardLoss = {
  /** The mean loss plus the centring term, shape []. */
  readonly loss: tf.Scalar;
  /** `-log sigmoid(r_w - r_l - m)` per pair, `[N]` (without the centring term). */
  readonly losses: tf.Tensor1D;
};

/**
 * The Bradley-Terry reward-model loss, as TRL's `RewardTrainer.compute_loss`:
 *
 *   loss = mean_i [ -log sigmoid(r_w,i - r_l,i - m_i) ] + c * mean_i (r_w,i + r_l,i)^2
 *
 * -log sigmoid(z) is computed as softplus(-z), finite for margins of any size (and with a
 * gradient that works inside `tf.tidy` under `tf.variableGrads`, unlike `tf.logSigmoid`'s).
 *
 * @see Bradley & Terry 1952 (P(i ≻ j) = sigmoid(s_i - s_j)); Ouyang et al. 2022, Eq. 1;
 *   Touvron et al. 2023 (Llama 2), Eq. 2 (the margin); TRL `RewardTrainer.compute_loss`.
 * @returns the scalar loss and per-pair losses; new tensors the caller disposes.
 */
export function bradleyTerryRewardLoss(inputs: RewardLossInputs): RewardLoss {
  const { chosenRewards, rejectedRewards, margins, centerRewardsCoefficient } = inputs;
  if (chosenRewards.rank !== 1) throw new ShapeMismatchError('chosenRewards', [null], chosenRewards.shape);
  const [N] = chosenRewards.shape;
  if (rejectedRewards.shape.join() !== `${N}`)
    throw new ShapeMismatchError('rejectedRewards', [N], rejectedRewards.shape);
  if (margins !== undefined && margins.shape.join() !== `${N}`)
    throw new ShapeMismatchError('margins', [N], margins.shape);
  const coefficient =
    centerRewardsCoefficient === undefined
      ? undefined
      : requireNumber('centerRewardsCoefficient', centerRewardsCoefficient, { min: 0 });
  return tf.tidy(() => {
    let difference: tf.Tensor1D = tf.sub(chosenRewards, rejectedRewards);
    if (margins !== undefined) difference = tf.sub(difference, margins);
    const losses = tf.softplus(tf.neg(difference)) as tf.Tensor1D;
    let loss = tf.mean(losses) as tf.Scalar;
    if (coefficient !== undefined && coefficient !== 0) {
      loss = tf.add(loss, tf.mul(coefficient, tf.mean(tf.square(tf.add(chosenRewards, rejectedRewards)))));
    }
    return { loss, losses };
  });
}
