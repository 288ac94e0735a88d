import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, requireNumber } from '@dpo-ts/core';
import { clippedPolicyLoss } from '../clipped-policy-loss.js';

/** Inputs of {@link ddpoLoss}; every tensor `[batch]` (one denoising step of each trajectory). */
export interface DDPOLossInputs {
  /** log p_theta(x_{t-1} | x_t, c) under the current weights (on the gradient tape), averaged over pixels. */
  readonly logProbs: tf.Tensor1D;
  /** The same at sampling time (constants). */
  readonly oldLogProbs: tf.Tensor1D;
  /** Per-trajectory advantages (normalised rewards), before clipping. */
  readonly advantages: tf.Tensor1D;
  /** PPO's epsilon (`clip_range`, 1e-4 in DDPO). */
  readonly clipRange: number;
  /** Advantages are clipped to [-advClipMax, advClipMax] first (`adv_clip_max`, 5). */
  readonly advClipMax: number;
}

/** DDPO's loss and diagnostics of one step; scalars the caller disposes. */
export interface DDPOLoss {
  /** mean(max(-A rho, -A clip(rho, 1 - eps, 1 + eps))), A clipped: minimise it. */
  readonly loss: tf.Scalar;
  /** 0.5 mean((log p_theta - log p_old)^2) (ddpo-pytorch's `approx_kl`). */
  readonly approxKl: tf.Scalar;
  /** mean(|rho - 1| > eps) (ddpo-pytorch's `clipfrac`; TRL's PPO counts only the active side). */
  readonly clipFraction: tf.Scalar;
  /** mean(rho). */
  readonly ratioMean: tf.Scalar;
}

/**
 * DDPO's per-step objective (Black et al. 2023, Eq. 4 with PPO's clipping, Section 4.3), as
 * ddpo-pytorch computes it for one denoising step j of a minibatch of trajectories:
 *
 *   A   = clip(advantage, -advClipMax, advClipMax)
 *   rho = exp(log p_theta(x_{t-1} | x_t, c) - log p_old(x_{t-1} | x_t, c))
 *   L   = mean over trajectories of max(-A rho, -A clip(rho, 1 - eps, 1 + eps))
 *
 * The surrogate is rlhf's {@link clippedPolicyLoss} (shared with PPO for language models); the
 * advantage clipping and the clip fraction are DDPO's. Log-probs are means over pixels
 * (diffusion's `gaussianLogProb`), which is why eps = 1e-4 is a sensible range.
 *
 * @see Black et al. 2023, "Training Diffusion Models with Reinforcement Learning"; ddpo-pytorch `scripts/train.py`.
 * @returns new scalars; `loss` is differentiable in `logProbs`. The caller disposes them.
 */
export function ddpoLoss(inputs: DDPOLossInputs): DDPOLoss {
  const { logProbs, oldLogProbs, advantages } = inputs;
  const clipRange = requireNumber('clipRange', inputs.clipRange, { min: 0 });
  const advClipMax = requireNumber('advClipMax', inputs.advClipMax, { min: 0, exclusiveMin: true });
  if (advantages.shape.join() !== logProbs.shape.join())
    throw new ShapeMismatchError('advantages', logProbs.shape, advantages.shape);
  return tf.tidy(() => {
    const clippedAdvantages = tf.clipByValue(advantages, -advClipMax, advClipMax);
    const surrogate = clippedPolicyLoss({ logProbs, oldLogProbs, advantages: clippedAdvantages, cliprange: clipRange });
    // A diagnostic: only `loss` is differentiated, so this branch never reaches the gradient.
    const ratio = tf.exp(tf.sub(logProbs, oldLogProbs));
    const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clipRange), 'float32')) as tf.Scalar;
    return { loss: surrogate.loss, approxKl: surrogate.approxKl, clipFraction, ratioMean: surrogate.ratioMean };
  });
}
