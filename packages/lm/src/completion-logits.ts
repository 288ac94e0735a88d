import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES, ShapeMismatchError, type Metrics } from '@dpo-ts/core';
import type { ScoredPairs } from '@dpo-ts/core/preference';

/**
 * Per-row sums behind TRL's `logits/chosen` and `logits/rejected`. Every tensor is `[B]` and
 * belongs to the caller.
 */
// A type alias, not an interface, so it fits tf.tidy's TensorContainer index signature.
export type CompletionLogitSums = {
  /** Sum over the row's completion positions of the mean logit over the vocabulary. */
  readonly sum: tf.Tensor1D;
  /** Completion positions of the row (its scored tokens, EOS included), as float32. */
  readonly tokenCount: tf.Tensor1D;
};

/**
 * The names under which lm's preference scorer carries the sums with its scores
 * (`PairScores.details`, each `[numPairs]`), and which {@link completionLogitMetrics} reads.
 */
export const LOGIT_DETAILS = Object.freeze({
  /** Detail key of each pair's sum of mean logits over the chosen completion's positions, `[numPairs]`. */
  chosenSum: 'logits/chosen_sum',
  /** Detail key of each pair's count of chosen completion positions summed, `[numPairs]`. */
  chosenTokens: 'logits/chosen_tokens',
  /** Detail key of each pair's sum of mean logits over the rejected completion's positions, `[numPairs]`. */
  rejectedSum: 'logits/rejected_sum',
  /** Detail key of each pair's count of rejected completion positions summed, `[numPairs]`. */
  rejectedTokens: 'logits/rejected_tokens',
});

/**
 * Per row b: `sum_{t : lossMask[b, t + 1] = 1} mean_v logits[b, t, v]` and the count of such t.
 * Position t's logits predict token t + 1, so these are the positions whose prediction is a
 * completion token (TRL rolls its loss mask by -1 for the same reason). Dividing the summed
 * sums by the summed counts gives TRL's `logits[loss_mask].mean()`: the mean over every
 * completion position and every vocabulary entry, pooled over the rows.
 *
 * @param logits - `[B, T, V]`, the forward pass of the batch.
 * @param lossMask - `[B, T]`, 1 on completion tokens (aligned with the input ids).
 * @returns new tensors `[B]`; the caller disposes them.
 * @see huggingface/trl `DPOTrainer.concatenated_forward` (`mean_chosen_logits`).
 */
export function completionLogitSums(logits: tf.Tensor3D, lossMask: tf.Tensor2D): CompletionLogitSums {
  const [B, T] = lossMask.shape;
  if (logits.shape[0] !== B || logits.shape[1] !== T)
    throw new ShapeMismatchError('logits', [B, T, logits.shape[2]], logits.shape, `lossMask is [${B}, ${T}]`);
  return tf.tidy(() => {
    const perPosition = tf.slice(tf.mean(logits, 2), [0, 0], [B, T - 1]); // [B, T, V] -> [B, T - 1]
    const mask = tf.slice(tf.cast(lossMask, 'float32'), [0, 1], [B, T - 1]); // predicts a completion token
    const scored = tf.where(tf.greater(mask, 0), perPosition, tf.zerosLike(perPosition));
    return { sum: tf.sum(scored, 1) as tf.Tensor1D, tokenCount: tf.sum(mask, 1) as tf.Tensor1D };
  });
}

/**
 * TRL's `logits/chosen` and `logits/rejected` of a step's micro-batches (or an evaluation's
 * batches) from the sums the policy scorer carried in its scores' details
 * ({@link LOGIT_DETAILS}): the mean policy logit over every completion position and vocabulary
 * entry of the chosen (rejected) responses, pooled over all pairs (for one batch per step,
 * exactly TRL's value). Empty when the scores carry no such details.
 *
 * Read it as TRL's: a drift of both means says the policy's logit scale moves (often harmless);
 * it is not a probability and has no target value.
 */
export function completionLogitMetrics<TBatch>(pairs: readonly ScoredPairs<TBatch>[]): Metrics {
  const total = (name: string): number | undefined => {
    let sum = 0;
    for (const { policy } of pairs) {
      const values = policy[name];
      if (values === undefined) return undefined;
      for (const value of values) sum += value;
    }
    return sum;
  };
  const metrics: Metrics = {};
  const chosen = [total(LOGIT_DETAILS.chosenSum), total(LOGIT_DETAILS.chosenTokens)];
  const rejected = [total(LOGIT_DETAILS.rejectedSum), total(LOGIT_DETAILS.rejectedTokens)];
  if (chosen[0] !== undefined && chosen[1]! > 0) metrics[METRIC_NAMES.logitsChosen] = chosen[0] / chosen[1]!;
  if (rejected[0] !== undefined && rejected[1]! > 0) metrics[METRIC_NAMES.logitsRejected] = rejected[0] / rejected[1]!;
  return metrics;
}
