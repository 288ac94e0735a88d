import * as tf from '@tensorflow/tfjs-core';

/** Largest log-probability the unlikelihood term accepts: p is clamped to 1 - 1e-6, so one token costs at most ~13.8 nats. */
export const UNLIKELIHOOD_MAX_LOG_PROB = Math.log1p(-1e-6);

/**
 * log(1 - exp(x)) for x <= 0, elementwise, as log(-expm1(x)): expm1 keeps 1 - exp(x) accurate
 * near 0, where it cancels. Far below 0 Mächler's second branch, log1p(-exp(x)), would be more
 * accurate in relative terms, but the result is then ~ -exp(x), tiny, so the absolute error a
 * loss sees stays below float32 resolution; and a two-branch `where` would put a comparison
 * (`Greater`, which has no gradient in tfjs) on the gradient tape. Inputs above
 * {@link UNLIKELIHOOD_MAX_LOG_PROB} are clamped (p <= 1 - 1e-6), so the result stays finite.
 * @see M. Mächler, "Accurately computing log(1 - exp(-|a|))", 2012.
 * @returns a new tensor of the same shape; the caller disposes it.
 */
export function logOneMinusExp(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.log(tf.neg(tf.expm1(tf.minimum(x, UNLIKELIHOOD_MAX_LOG_PROB)))));
}

/** Inputs of {@link unlikelihoodLoss}: per-token log-probs and 0/1 masks of both sides. */
export interface UnlikelihoodLossInputs {
  /** log pi(y_t | x, y_<t) of the chosen rows, `[B, T]`. */
  readonly chosenLogProbs: tf.Tensor2D;
  /** 1 on chosen completion tokens, `[B, T]`. */
  readonly chosenMask: tf.Tensor2D;
  /** Log-probs of the rejected rows, `[B', T']`. */
  readonly rejectedLogProbs: tf.Tensor2D;
  /** 1 on rejected completion tokens, `[B', T']`. */
  readonly rejectedMask: tf.Tensor2D;
  /** Weight of the unlikelihood term. */
  readonly alpha: number;
}

/** The loss and its two parts, scalars the caller disposes. */
export type UnlikelihoodLoss = {
  readonly loss: tf.Scalar;
  /** Mean NLL per chosen token: -mean_t log p(y_w,t). */
  readonly likelihood: tf.Scalar;
  /** Mean unlikelihood per rejected token: -mean_t log(1 - p(y_l,t)). */
  readonly unlikelihood: tf.Scalar;
};

/**
 * Sequence-level unlikelihood training on a preference pair: maximum likelihood on the chosen
 * completion plus alpha times the unlikelihood of each rejected token,
 *
 *   loss = -(1/|y_w|) sum_t log p(y_w,t | x, y_w,<t)  +  alpha * -(1/|y_l|) sum_t log(1 - p(y_l,t | x, y_l,<t))
 *
 * with token counts summed over the batch (each side's mean is per token, not per row), and
 * p clamped below 1 - 1e-6. Welleck et al. penalise "negative candidate" tokens; here, as in
 * the DPO paper's Unlikelihood baseline, the negatives are the tokens of the rejected
 * completion. Tokens the two completions share (a common prefix) are pushed up by one term and
 * down by the other; nothing masks them, as in the baseline.
 *
 * @see Welleck et al. 2019, "Neural text generation with unlikelihood training", Sec. 5 (token
 *   level) and Sec. 5.2 (sequence level); Rafailov et al. 2023, Sec. 6 (the Unlikelihood baseline).
 */
export function unlikelihoodLoss(inputs: UnlikelihoodLossInputs): UnlikelihoodLoss {
  return tf.tidy(() => {
    const maskedMean = (values: tf.Tensor, mask: tf.Tensor): tf.Scalar => {
      const kept = tf.where(tf.greater(mask, 0), values, tf.zerosLike(values));
      return tf.div(tf.sum(kept), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    };
    const likelihood = tf.neg(maskedMean(inputs.chosenLogProbs, inputs.chosenMask)) as tf.Scalar;
    const unlikelihood = tf.neg(maskedMean(logOneMinusExp(inputs.rejectedLogProbs), inputs.rejectedMask)) as tf.Scalar;
    const loss = tf.add(likelihood, tf.mul(inputs.alpha, unlikelihood)) as tf.Scalar;
    return { loss, likelihood, unlikelihood };
  });
}
