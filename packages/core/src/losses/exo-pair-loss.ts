import * as tf from '@tensorflow/tfjs-core';

import { logSigmoid, preferenceLogits } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/** The epsilon `exo_pair` uses when `labelSmoothing` is 0, as TRL does (log 0 is undefined). */
export const EXO_DEFAULT_EPSILON = 1e-3;

/**
 * EXO for pairs: the reverse KL from the model's pair distribution to a smoothed label
 * distribution (TRL `loss_type="exo_pair"`). With z = beta * (chosenLogRatio - rejectedLogRatio),
 * the model puts q_w = sigmoid(z) on the chosen and q_l = sigmoid(-z) on the rejected response,
 * the labels put (1 - epsilon, epsilon), and
 *
 *   loss = q_w * (logSigmoid(z) - log(1 - epsilon)) + q_l * (logSigmoid(-z) - log(epsilon))
 *
 * epsilon = `options.labelSmoothing`, or {@link EXO_DEFAULT_EPSILON} when that is 0. The loss
 * is >= 0, minimal where sigmoid(z) = 1 - epsilon; at a tie (or beta = 0) it is
 * log(1/2) - (log(epsilon) + log(1 - epsilon)) / 2. Every product is sigmoid times logSigmoid,
 * and logSigmoid is finite, so huge margins give 0 * finite, never 0 * infinity.
 *
 * Difference from TRL: TRL 0.x replaces a zero `label_smoothing` by 1e-3 by assigning
 * `self.label_smoothing = 1e-3`, which then also changes every other loss of a multi-loss list
 * (sigmoid, robust, aot) for the rest of training. We substitute the value for `exo_pair` only.
 * (TRL 1.x's rewritten trainer no longer substitutes: it takes log(label_smoothing) directly.)
 *
 * @see Ji et al. 2024, "Towards Efficient Exact Optimization of Language Model Alignment", Eq. 16.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const exoPairLoss: PreferenceLoss = {
  type: 'exo_pair',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta, options }) =>
    tf.tidy(() => {
      const epsilon = options.labelSmoothing === 0 ? EXO_DEFAULT_EPSILON : options.labelSmoothing;
      const logits = tf.mul(beta, preferenceLogits(chosenLogRatios, rejectedLogRatios));
      const negLogits = tf.neg(logits);
      const chosenTerm = tf.mul(tf.sigmoid(logits), tf.sub(logSigmoid(logits), Math.log1p(-epsilon)));
      const rejectedTerm = tf.mul(tf.sigmoid(negLogits), tf.sub(logSigmoid(negLogits), Math.log(epsilon)));
      return tf.add(chosenTerm, rejectedTerm);
    }),
};
