import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';
import { generalizedAdvantageEstimation } from './gae.js';
import { klPenalty, type KLEstimator } from './kl-estimators.js';
import { maskedWhiten } from './whiten.js';

/** Inputs of {@link computePPOTargets}; `[B, R]` tensors unless noted. */
export interface PPOTargetInputs {
  /** log π_old of the sampled tokens. */
  readonly logProbs: tf.Tensor2D;
  /** log π_ref of the sampled tokens. */
  readonly referenceLogProbs: tf.Tensor2D;
  /** V_old(s_t) (any values past a row's end are ignored). */
  readonly values: tf.Tensor2D;
  /** 1 on each row's sampled tokens up to and including its last one. */
  readonly responseMask: tf.Tensor2D;
  /** Sequence scores (reward, missing-EOS penalty applied), `[B]`. */
  readonly scores: tf.Tensor1D;
  /** β. */
  readonly klCoef: number;
  /** {@inheritDoc PPOConfig.klEstimator} */
  readonly klEstimator: KLEstimator;
  /** {@inheritDoc PPOConfig.whitenRewards} */
  readonly whitenRewards: boolean;
  /** {@inheritDoc PPOConfig.gamma} */
  readonly gamma: number;
  /** {@inheritDoc PPOConfig.lam} */
  readonly lambda: number;
}

/** PPO's per-token targets; every tensor is `[B, R]`, zero past each row's end, and belongs to the caller. */
export type PPOTargets = {
  /** Per-token KL estimate. */
  readonly kl: tf.Tensor2D;
  /** -β · kl. */
  readonly nonScoreReward: tf.Tensor2D;
  /** nonScoreReward plus the score at each row's last token (whitened when asked). */
  readonly rewards: tf.Tensor2D;
  /** V_old, zeroed past the end. */
  readonly values: tf.Tensor2D;
  /** GAE advantages, whitened over the mask. */
  readonly advantages: tf.Tensor2D;
  /** Value targets: (unwhitened) advantages + values. */
  readonly returns: tf.Tensor2D;
};

/**
 * The rollout half of a PPO update for language models, in TRL's order:
 *
 * 1. kl_t = k(log π_old, log π_ref) per token (k1 or k3), 0 past the end;
 * 2. r_t = -β kl_t, plus the sequence score at the last token (Ziegler et al. 2019, Eq. 2);
 * 3. optionally whiten r over the mask, keeping its mean;
 * 4. GAE(γ, λ) with V zeroed past the end: advantages and returns = advantages + V;
 * 5. whiten the advantages over the mask.
 *
 * One deliberate difference from TRL: the score is added at the last sampled token (the EOS),
 * where TRL adds it one position later, on the first PAD (`sequence_lengths_p1`), and trains
 * the value there too (see huggingface/trl#1893 and #3750). The last token is where Ziegler et
 * al. and the N+ implementation details put it, and it keeps the reward inside the policy
 * loss's mask.
 *
 * @see Ziegler et al. 2019, Eq. 2; Schulman et al. 2016 (GAE); Ouyang et al. 2022, Eq. 2; TRL
 *   `PPOTrainer.train` steps 4-6.
 * @returns new tensors; the caller disposes them.
 */
export function computePPOTargets(inputs: PPOTargetInputs): PPOTargets {
  const { logProbs, referenceLogProbs, values, responseMask, scores } = inputs;
  const [B, R] = logProbs.shape;
  for (const [name, tensor] of [
    ['referenceLogProbs', referenceLogProbs],
    ['values', values],
    ['responseMask', responseMask],
  ] as const) {
    if (tensor.shape.join() !== logProbs.shape.join()) throw new ShapeMismatchError(name, logProbs.shape, tensor.shape);
  }
  if (scores.shape.join() !== `${B}`) throw new ShapeMismatchError('scores', [B], scores.shape);
  return tf.tidy(() => {
    const valid = tf.greater(responseMask, 0);
    const zeros = tf.zerosLike(logProbs);
    const kl = tf.where(valid, klPenalty(logProbs, referenceLogProbs, inputs.klEstimator), zeros) as tf.Tensor2D;
    const nonScoreReward = tf.mul(-inputs.klCoef, kl) as tf.Tensor2D;
    // 1 at each row's last valid token: mask[t] - mask[t + 1] for a prefix mask.
    const nextMask = tf.concat([tf.slice(responseMask, [0, 1], [B, R - 1]), tf.zeros([B, 1])], 1);
    const lastToken = tf.sub(responseMask, nextMask);
    let rewards: tf.Tensor2D = tf.add(nonScoreReward, tf.mul(lastToken, tf.reshape(scores, [B, 1])));
    if (inputs.whitenRewards) rewards = maskedWhiten(rewards, responseMask, { shiftMean: false }) as tf.Tensor2D;
    const maskedValues = tf.where(valid, values, zeros) as tf.Tensor2D;
    const { advantages, returns } = generalizedAdvantageEstimation({
      rewards,
      values: maskedValues,
      gamma: inputs.gamma,
      lambda: inputs.lambda,
    });
    return {
      kl,
      nonScoreReward,
      rewards,
      values: maskedValues,
      advantages: maskedWhiten(advantages, responseMask) as tf.Tensor2D,
      returns: tf.where(valid, returns, zeros) as tf.Tensor2D,
    };
  });
}
