import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, requireOneOf } from '@dpo-ts/core';

/**
 * Per-token estimators of KL(pi || pi_ref) from samples y ~ pi, with Schulman's names (TRL's
 * `kl_estimator`):
 * - `'k1'`: `log pi(y) - log pi_ref(y)`. Unbiased, high variance, can be negative per token.
 * - `'k3'`: `(r - 1) - log r` with `r = pi_ref(y) / pi(y)`. Unbiased (E[r] = 1), never
 *   negative, lower variance when the two are close.
 */
export type KLEstimator = 'k1' | 'k3';

/** Every {@link KLEstimator}. */
export const KL_ESTIMATORS: readonly KLEstimator[] = Object.freeze(['k1', 'k3']);

/**
 * The per-token KL estimate between the policy and the frozen reference at the sampled tokens,
 * as TRL's PPO computes it (`logr = ref_logprobs - logprobs`):
 *
 *   k1 = -logr = log pi(y_t) - log pi_ref(y_t)
 *   k3 = (exp(logr) - 1) - logr                    (computed with expm1)
 *
 * Summed over a completion, k1 is the log-ratio log pi(y) / pi_ref(y) whose expectation is the
 * sequence KL of Ziegler et al. 2019 (the penalty `-beta * KL` in the reward).
 *
 * @see Schulman 2020, "Approximating KL Divergence" (http://joschu.net/blog/kl-approx.html);
 *   Ziegler et al. 2019, Eq. 2; TRL `PPOTrainer` (`kl_estimator`).
 * @param logProbs - log pi(y_t), any shape.
 * @param referenceLogProbs - log pi_ref(y_t), same shape.
 * @returns per-token estimates, same shape; a new tensor the caller disposes. Not differentiated
 *   by PPO (the penalty enters through the rewards), but differentiable.
 */
export function klPenalty(logProbs: tf.Tensor, referenceLogProbs: tf.Tensor, estimator: KLEstimator): tf.Tensor {
  requireOneOf('estimator', estimator, KL_ESTIMATORS);
  if (referenceLogProbs.shape.join() !== logProbs.shape.join())
    throw new ShapeMismatchError('referenceLogProbs', logProbs.shape, referenceLogProbs.shape);
  return tf.tidy(() => {
    const logRatio = tf.sub(referenceLogProbs, logProbs); // log r, r = pi_ref / pi
    return estimator === 'k1' ? tf.neg(logRatio) : tf.sub(tf.expm1(logRatio), logRatio);
  });
}
