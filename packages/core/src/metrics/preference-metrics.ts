import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '../errors/shape-mismatch-error.js';
import { METRIC_NAMES } from './metric-names.js';

/** Inputs of {@link preferenceMetricTensors}; every tensor `[batch]`, owned by the caller. */
export interface PreferenceMetricInputs {
  /** beta * (policy - reference) score of the chosen side. */
  readonly chosenRewards: tf.Tensor1D;
  /** beta * (policy - reference) score of the rejected side. */
  readonly rejectedRewards: tf.Tensor1D;
  /** Policy scores (log-likelihoods, or minus the scaled denoising error). */
  readonly policyChosenScores: tf.Tensor1D;
  /** Policy scores of the rejected side, as {@link PreferenceMetricInputs.policyChosenScores}. */
  readonly policyRejectedScores: tf.Tensor1D;
}

/**
 * The batch-mean preference metrics, as scalar tensors keyed by TRL's names:
 * `rewards/chosen`, `rewards/rejected`, `rewards/margins`, `rewards/accuracies`,
 * `logps/chosen`, `logps/rejected`.
 *
 * Ties: `rewards/accuracies` counts a pair as correct only when its chosen reward is strictly
 * greater, as TRL does (`(chosen_rewards > rejected_rewards).float()`). At step 0 the policy
 * equals the reference, every margin is exactly 0, and the accuracy is therefore 0, not 0.5;
 * Diffusion-DPO's `implicit_acc` uses the same strict comparison. We keep TRL's convention so
 * numbers compare with PyTorch runs.
 *
 * Metrics are not part of the loss: trainers compute them from the same tensors but never
 * differentiate them. Returned scalars belong to the caller; pass them
 * to {@link readMetrics}, which reads and disposes them.
 */
export function preferenceMetricTensors(inputs: PreferenceMetricInputs): Record<string, tf.Scalar> {
  const { chosenRewards, rejectedRewards, policyChosenScores, policyRejectedScores } = inputs;
  const batch = chosenRewards.shape[0];
  assertShape('rejectedRewards', rejectedRewards.shape, [batch]);
  assertShape('policyChosenScores', policyChosenScores.shape, [batch]);
  assertShape('policyRejectedScores', policyRejectedScores.shape, [batch]);
  return tf.tidy(() => {
    const chosen = chosenRewards;
    const rejected = rejectedRewards;
    return {
      [METRIC_NAMES.rewardsChosen]: tf.mean(chosen),
      [METRIC_NAMES.rewardsRejected]: tf.mean(rejected),
      [METRIC_NAMES.rewardsMargins]: tf.mean(tf.sub(chosen, rejected)),
      [METRIC_NAMES.rewardsAccuracies]: tf.mean(tf.cast(tf.greater(chosen, rejected), 'float32')),
      [METRIC_NAMES.logpsChosen]: tf.mean(policyChosenScores),
      [METRIC_NAMES.logpsRejected]: tf.mean(policyRejectedScores),
    };
  });
}

/**
 * Reads scalar metric tensors with one async read each (webgpu needs async reads), disposes
 * them, and returns plain numbers.
 */
export async function readMetrics(tensors: Record<string, tf.Scalar>): Promise<Record<string, number>> {
  const entries = Object.entries(tensors);
  try {
    const values = await Promise.all(entries.map(([, t]) => t.data()));
    return Object.fromEntries(entries.map(([name], i) => [name, values[i]![0]!]));
  } finally {
    for (const [, t] of entries) t.dispose();
  }
}
