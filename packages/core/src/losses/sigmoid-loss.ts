import * as tf from '@tensorflow/tfjs-core';

import { preferenceLogits, smoothedLogisticLoss } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * DPO's logistic loss with conservative-DPO label smoothing (TRL `loss_type="sigmoid"`):
 *
 *   z    = chosenLogRatio - rejectedLogRatio
 *   loss = -(1 - epsilon) * logSigmoid(beta * z) - epsilon * logSigmoid(-beta * z)
 *
 * with epsilon = `options.labelSmoothing` (0 gives plain DPO). Computed with logSigmoid, which
 * stays finite for margins of any size; a tie (z = 0) costs log 2 whatever epsilon is.
 *
 * TRL versions: up to 0.2x `dpo_loss` applies `label_smoothing` here (the cDPO form above);
 * the rewritten DPOTrainer of TRL 1.x computes `-F.logsigmoid(self.beta * delta_score)` and no
 * longer reads `label_smoothing` for `sigmoid`. Both agree at labelSmoothing = 0, the default.
 *
 * @see Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7.
 * @see Mitchell 2023, "A note on DPO with noisy preferences" (cDPO), the label-smoothed form.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const sigmoidLoss: PreferenceLoss = {
  type: 'sigmoid',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta, options }) =>
    tf.tidy(() =>
      smoothedLogisticLoss(tf.mul(beta, preferenceLogits(chosenLogRatios, rejectedLogRatios)), options.labelSmoothing),
    ),
};
