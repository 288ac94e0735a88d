import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, requireNumber } from '@dpo-ts/core';

/** Inputs of {@link generalizedAdvantageEstimation}. */
export interface GAEInputs {
  /** Per-step rewards r_t, `[B, T]`. Zero after each row's last step. */
  readonly rewards: tf.Tensor2D;
  /** Value estimates V(s_t), `[B, T]`. Zero after each row's last step (so the last step bootstraps from 0). */
  readonly values: tf.Tensor2D;
  /** Discount γ in [0, 1]. TRL: 1. */
  readonly gamma: number;
  /** GAE λ in [0, 1]. TRL: 0.95. */
  readonly lambda: number;
}

/** Advantages and value targets; the caller disposes both. */
export type GAEResult = {
  /** Â_t, `[B, T]`. */
  readonly advantages: tf.Tensor2D;
  /** Â_t + V(s_t): the value-function targets, `[B, T]`. */
  readonly returns: tf.Tensor2D;
};

/**
 * Generalised advantage estimation, backwards over the T steps of each row, exactly TRL's loop:
 *
 *   δ_t = r_t + γ V(s_{t+1}) - V(s_t)      (V(s_T) = 0: the episode ends with the window)
 *   Â_t = δ_t + γ λ Â_{t+1}                 (Â_T = 0)
 *   returns_t = Â_t + V(s_t)
 *
 * λ = 1 gives Monte-Carlo returns minus the baseline; λ = 0 the one-step TD error.
 *
 * @see Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized Advantage
 *   Estimation", Eq. 11-16; TRL `PPOTrainer.train` step 6.
 * @returns new tensors `[B, T]`; the caller disposes them.
 */
export function generalizedAdvantageEstimation(inputs: GAEInputs): GAEResult {
  const { rewards, values } = inputs;
  const gamma = requireNumber('gamma', inputs.gamma, { min: 0, max: 1 });
  const lambda = requireNumber('lambda', inputs.lambda, { min: 0, max: 1 });
  if (rewards.rank !== 2) throw new ShapeMismatchError('rewards', [null, null], rewards.shape);
  if (values.shape.join() !== rewards.shape.join()) throw new ShapeMismatchError('values', rewards.shape, values.shape);
  return tf.tidy(() => {
    const [B, T] = rewards.shape;
    const rewardColumns = tf.unstack(rewards, 1); // T x [B]
    const valueColumns = tf.unstack(values, 1);
    const reversed: tf.Tensor[] = [];
    let lastAdvantage: tf.Tensor = tf.zeros([B]);
    for (let t = T - 1; t >= 0; t--) {
      const nextValue = t < T - 1 ? valueColumns[t + 1]! : tf.zeros([B]);
      const delta = tf.sub(tf.add(rewardColumns[t]!, tf.mul(gamma, nextValue)), valueColumns[t]!);
      lastAdvantage = tf.add(delta, tf.mul(gamma * lambda, lastAdvantage));
      reversed.push(lastAdvantage);
    }
    const advantages = tf.stack(reversed.reverse(), 1) as tf.Tensor2D; // [B, T]
    return { advantages, returns: tf.add(advantages, values) as tf.Tensor2D };
  });
}
