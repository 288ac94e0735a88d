import * as tf from '@tensorflow/tfjs-core';

import type { PreferenceLoss } from './preference-loss.js';

/**
 * Anchored Preference Optimisation, "zero" anchor (TRL `loss_type="apo_zero"`): for data whose
 * chosen responses are better than what the model now produces, raise the chosen likelihood
 * and lower the rejected one, each anchored at a zero log-ratio:
 *
 *   loss = (1 - sigmoid(beta * chosenLogRatio)) + sigmoid(beta * rejectedLogRatio)
 *
 * computed as sigmoid(-beta * chosenLogRatio) + sigmoid(beta * rejectedLogRatio), which avoids
 * the cancellation in 1 - sigmoid. Bounded in [0, 2]; 1 at zero log-ratios and for beta = 0.
 * Gradients vanish for huge |log-ratios| (saturated sigmoids), but values stay finite.
 *
 * @see D'Oosterlinck et al. 2024, "Anchored Preference Optimization and Contrastive Revisions",
 *   Eq. 7.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const apoZeroLoss: PreferenceLoss = {
  type: 'apo_zero',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta }) =>
    tf.tidy(() => tf.add(tf.sigmoid(tf.mul(-beta, chosenLogRatios)), tf.sigmoid(tf.mul(beta, rejectedLogRatios)))),
};
