import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';
import type { CausalLanguageModel, CausalLMForwardOptions } from './causal-lm.js';
import { selectTokenLogProbs } from './token-log-probs.js';

/**
 * Sums of a batch's next-token statistics over the scored tokens, each a scalar tensor the
 * caller disposes (or creates inside a `tf.tidy` / gradient tape).
 */
// A type alias, not an interface, so it fits tf.tidy's TensorContainer index signature.
export type NextTokenStatistics = {
  /** `-sum_{mask} log p(x_t | x_<t)`: the summed cross-entropy in nats. Differentiable. */
  readonly nllSum: tf.Scalar;
  /** Number of scored tokens (float32). */
  readonly tokenCount: tf.Scalar;
  /** Scored tokens whose argmax prediction equals the target (float32; no gradient). */
  readonly correctCount: tf.Scalar;
};

/**
 * The statistics of next-token prediction on a batch in one forward pass: summed negative
 * log-likelihood, scored-token count and argmax hits, over the positions where `lossMask` is 1.
 *
 *   nllSum = -sum_{b, t >= 1, mask[b, t] = 1} log softmax(logits[b, t - 1])[x[b, t]]
 *
 * The SFT loss is `nllSum / tokenCount` (transformers' token-mean cross-entropy); with gradient
 * accumulation the trainer divides every micro-batch's sum by the token count of the whole
 * step, so accumulated and full batches give the same gradient. The first token of a row has
 * no context and is never scored (its mask entry is ignored); masked positions contribute
 * exactly 0.
 *
 * @param inputIds - int32 `[B, T]`.
 * @param lossMask - `[B, T]`, 1 on scored tokens (aligned with `inputIds`).
 * @returns new scalars; the caller disposes them.
 * @see Radford et al. 2018/2019 (the language-modelling objective, Eq. 1).
 */
export function nextTokenStatistics(
  model: CausalLanguageModel,
  inputIds: tf.Tensor2D,
  lossMask: tf.Tensor2D,
  options: CausalLMForwardOptions = {},
): NextTokenStatistics {
  if (inputIds.shape.join() !== lossMask.shape.join())
    throw new ShapeMismatchError('lossMask', inputIds.shape, lossMask.shape);
  return tf.tidy(() => {
    const [B, T] = inputIds.shape;
    const logits = model.forward(inputIds, options); // [B, T, V]
    const V = logits.shape[2];
    const flat = tf.reshape(logits, [B * T, V]) as tf.Tensor2D;
    // Position t predicts token t + 1; the last position gets a dummy target and mask 0.
    const ids = tf.cast(inputIds, 'int32');
    const next = tf.reshape(tf.concat([tf.slice(ids, [0, 1], [B, T - 1]), tf.zeros([B, 1], 'int32')], 1), [
      B * T,
    ]) as tf.Tensor1D;
    const mask = tf.reshape(
      tf.concat([tf.slice(tf.cast(lossMask, 'float32'), [0, 1], [B, T - 1]), tf.zeros([B, 1])], 1),
      [B * T],
    );
    const logProbs = selectTokenLogProbs(flat, next); // [B*T]
    const scored = tf.where(tf.greater(mask, 0), logProbs, tf.zerosLike(logProbs));
    const hits = tf.cast(tf.equal(tf.argMax(flat, -1), next), 'float32');
    return {
      nllSum: tf.neg(tf.sum(scored)) as tf.Scalar,
      tokenCount: tf.sum(mask) as tf.Scalar,
      correctCount: tf.sum(tf.mul(hits, mask)) as tf.Scalar,
    };
  });
}
