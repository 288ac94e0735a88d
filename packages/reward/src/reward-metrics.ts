import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES, ShapeMismatchError } from '@dpo-ts/core';

/** The metric tensors of {@link rewardMetricTensors}, keyed by TRL's names. */
export type RewardMetricTensors = {
  /** Fraction of pairs with r_w > r_l (a tie counts 0). */
  readonly [METRIC_NAMES.accuracy]: tf.Scalar;
  /** Mean of r_w - r_l. */
  readonly [METRIC_NAMES.margin]: tf.Scalar;
  /** Mean of all 2N rewards. */
  readonly [METRIC_NAMES.meanReward]: tf.Scalar;
  /** Smallest of all 2N rewards. */
  readonly [METRIC_NAMES.minReward]: tf.Scalar;
  /** Largest of all 2N rewards. */
  readonly [METRIC_NAMES.maxReward]: tf.Scalar;
};

/**
 * TRL's `RewardTrainer` metrics of one batch, exactly as `compute_loss` computes them:
 *
 * - `accuracy`: fraction of pairs with r_w > r_l (strictly; a tie counts 0);
 * - `margin`: mean of r_w - r_l (the margin field of the data is not subtracted);
 * - `mean_reward`, `min_reward`, `max_reward`: over all 2N rewards, chosen and rejected.
 *
 * @param chosenRewards - `[N]`.
 * @param rejectedRewards - `[N]`.
 * @returns scalar tensors the caller disposes (read them with core's `readMetrics`).
 */
export function rewardMetricTensors(chosenRewards: tf.Tensor1D, rejectedRewards: tf.Tensor1D): RewardMetricTensors {
  if (rejectedRewards.shape.join() !== chosenRewards.shape.join())
    throw new ShapeMismatchError('rejectedRewards', chosenRewards.shape, rejectedRewards.shape);
  return tf.tidy(() => {
    const all = tf.concat([chosenRewards, rejectedRewards]);
    return {
      [METRIC_NAMES.accuracy]: tf.mean(tf.cast(tf.greater(chosenRewards, rejectedRewards), 'float32')) as tf.Scalar,
      [METRIC_NAMES.margin]: tf.mean(tf.sub(chosenRewards, rejectedRewards)) as tf.Scalar,
      [METRIC_NAMES.meanReward]: tf.mean(all) as tf.Scalar,
      [METRIC_NAMES.minReward]: tf.min(all) as tf.Scalar,
      [METRIC_NAMES.maxReward]: tf.max(all) as tf.Scalar,
    };
  });
}
