import * as tf from '@tensorflow/tfjs-core';

import { preferenceLogits } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * SLiC's hinge loss on the DPO logits, as used by RSO (TRL `loss_type="hinge"`):
 *
 *   loss = max(0, 1 - beta * (chosenLogRatio - rejectedLogRatio))
 *
 * Zero once the margin reaches 1/beta (beta acts as the inverse hinge margin); 1 at a tie and
 * for every pair when beta = 0. Linear in the inputs, so finite for any finite margin.
 *
 * @see Zhao et al. 2023, "SLiC-HF: Sequence Likelihood Calibration with Human Feedback";
 *   Liu et al. 2024, "Statistical Rejection Sampling Improves Preference Optimization", Eq. 12
 *   (the form TRL implements, huggingface/trl PR #866).
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const hingeLoss: PreferenceLoss = {
  type: 'hinge',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta }) =>
    tf.tidy(
      () => tf.relu(tf.sub(1, tf.mul(beta, preferenceLogits(chosenLogRatios, rejectedLogRatios)))) as tf.Tensor1D,
    ),
};
