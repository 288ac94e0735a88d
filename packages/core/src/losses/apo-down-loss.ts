import * as tf from '@tensorflow/tfjs-core';

import { preferenceLogits } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Anchored Preference Optimisation, "down" anchor (TRL `loss_type="apo_down"`): for data whose
 * chosen responses are worse than what the model now produces, lower the chosen likelihood and
 * lower the rejected one more, keeping the chosen-over-rejected margin:
 *
 *   loss = sigmoid(beta * chosenLogRatio) + (1 - sigmoid(beta * (chosenLogRatio - rejectedLogRatio)))
 *
 * computed with sigmoid(-x) for 1 - sigmoid(x). Bounded in [0, 2]; 1 at zero log-ratios and for
 * beta = 0; sigmoid(beta * chosenLogRatio) + 1/2 at a tie.
 *
 * @see D'Oosterlinck et al. 2024, "Anchored Preference Optimization and Contrastive Revisions",
 *   Eq. 8.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const apoDownLoss: PreferenceLoss = {
  type: 'apo_down',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta }) =>
    tf.tidy(() =>
      tf.add(
        tf.sigmoid(tf.mul(beta, chosenLogRatios)),
        tf.sigmoid(tf.mul(-beta, preferenceLogits(chosenLogRatios, rejectedLogRatios))),
      ),
    ),
};
