import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';
import type { CausalLanguageModel } from './causal-lm.js';
import { tokenLogProbs, type TokenLogProbsOptions } from './token-log-probs.js';

/**
 * Per-sequence log-likelihood of the completion tokens. Every tensor is `[B]` and belongs to
 * the caller (dispose them, or create them inside a `tf.tidy` / gradient tape).
 */
// A type alias, not an interface, so it fits tf.tidy's TensorContainer index signature.
export type SequenceLogProbs = {
  /** `sum_t mask[t] log p(y_t | y_<t)`: the DPO score (Rafailov et al. 2023, Eq. 7). */
  readonly sum: tf.Tensor1D;
  /** `sum / max(count, 1)`: the per-token mean (SimPO / IPO length normalisation); 0 for an empty completion. */
  readonly mean: tf.Tensor1D;
  /** Number of scored (completion) tokens, as float32. */
  readonly tokenCount: tf.Tensor1D;
};

/**
 * Reduces per-token log-probs to per-sequence scores under a loss mask.
 *
 * `lossMask` is aligned with the input ids (`[B, T]`, 1 on completion tokens, 0 on prompt and
 * padding); `tokenLogProbs[:, t]` scores token `t + 1`, so the mask used is `lossMask[:, 1:]`.
 * The first token has no context and is never scored (its mask entry is ignored). Masked
 * positions contribute exactly 0, even when their log-prob is -Infinity or NaN (a `where`,
 * not a product).
 *
 * @param tokenLogProbs - `[B, T - 1]`, from the function of the same name.
 * @param lossMask - `[B, T]`, 0/1.
 * @returns new tensors `[B]`; the caller disposes them.
 */
export function maskedSequenceLogProbs(tokenLogProbs: tf.Tensor2D, lossMask: tf.Tensor2D): SequenceLogProbs {
  const [B, T] = lossMask.shape;
  if (tokenLogProbs.shape[0] !== B || tokenLogProbs.shape[1] !== T - 1) {
    throw new ShapeMismatchError('tokenLogProbs', [B, T - 1], tokenLogProbs.shape, `lossMask is [${B}, ${T}]`);
  }
  return tf.tidy(() => {
    const mask = tf.slice(tf.cast(lossMask, 'float32'), [0, 1], [B, T - 1]); // [B, T] -> [B, T-1]
    const scored = tf.where(tf.greater(mask, 0), tokenLogProbs, tf.zerosLike(tokenLogProbs));
    const sum = tf.sum(scored, 1) as tf.Tensor1D;
    const tokenCount = tf.sum(mask, 1) as tf.Tensor1D;
    const mean = tf.div(sum, tf.maximum(tokenCount, 1)) as tf.Tensor1D;
    return { sum, mean, tokenCount };
  });
}

/**
 * Log-likelihood of each sequence's completion given its prompt under `model`, in one forward
 * pass: `sum_{t : mask[t] = 1} log p(x_t | x_<t)`, its per-token mean and the token count.
 * Differentiable with respect to the model's variables.
 *
 * Right padding needs no attention mask: a causal model never lets a real token attend to a
 * later pad, and pads are masked out of the sum.
 *
 * @param inputIds - int32 `[B, T]`, prompt then completion then padding in each row.
 * @param lossMask - `[B, T]`, 1 on completion tokens.
 * @returns new tensors `[B]`; the caller disposes them.
 * @see Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7 (log pi(y | x) as a sum of
 *   token log-probs); TRL `DPOTrainer.concatenated_forward`.
 */
export function sequenceLogProbs(
  model: CausalLanguageModel,
  inputIds: tf.Tensor2D,
  lossMask: tf.Tensor2D,
  options: TokenLogProbsOptions = {},
): SequenceLogProbs {
  if (inputIds.shape.join() !== lossMask.shape.join())
    throw new ShapeMismatchError('lossMask', inputIds.shape, lossMask.shape);
  return tf.tidy(() => maskedSequenceLogProbs(tokenLogProbs(model, inputIds, options), lossMask));
}
