import * as tf from '@tensorflow/tfjs-core';

import { logSigmoid, preferenceLogits } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Robust DPO (rDPO), an unbiased estimate of the clean DPO loss when each preference label is
 * flipped with known probability epsilon (TRL `loss_type="robust"`):
 *
 *   z    = chosenLogRatio - rejectedLogRatio
 *   loss = ((1 - epsilon) * -logSigmoid(beta * z) + epsilon * logSigmoid(-beta * z)) / (1 - 2 * epsilon)
 *
 * with epsilon = `options.labelSmoothing` in [0, 0.5) (the division is why 0.5 is excluded); at
 * epsilon = 0 it is the `sigmoid` loss. Unlike cDPO the flipped term enters with a plus sign, so
 * the loss is unbounded below as z grows (about -epsilon * beta * z / (1 - 2 epsilon)): it is an
 * estimator, not a probability. Finite for finite inputs: both terms use logSigmoid. A tie costs
 * log 2 for every epsilon.
 *
 * @see Chowdhury, Kini & Natarajan 2024, "Provably Robust DPO: Aligning Language Models with
 *   Noisy Feedback" (the de-biased rDPO loss); TRL `dpo_loss`, branch `robust`, which has this form.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const robustLoss: PreferenceLoss = {
  type: 'robust',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta, options }) =>
    tf.tidy(() => {
      const epsilon = options.labelSmoothing;
      const logits = tf.mul(beta, preferenceLogits(chosenLogRatios, rejectedLogRatios));
      const clean = tf.mul(-(1 - epsilon), logSigmoid(logits));
      const flipped = tf.mul(epsilon, logSigmoid(tf.neg(logits)));
      return tf.div(tf.add(clean, flipped), 1 - 2 * epsilon);
    }),
};
