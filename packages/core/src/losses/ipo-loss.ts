import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { perUnit } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Identity Preference Optimisation: a squared loss that pulls the (length-normalised) log-ratio
 * margin to 1/(2 beta) instead of pushing it to infinity (TRL `loss_type="ipo"`):
 *
 *   h    = chosenLogRatio / chosenLength - rejectedLogRatio / rejectedLength   (ipoNormalizeLength: true)
 *   h    = chosenLogRatio - rejectedLogRatio                                   (ipoNormalizeLength: false)
 *   loss = (h - 1 / (2 * beta))^2
 *
 * beta plays the paper's tau. The minimum, 0, is at h = 1/(2 beta); at h = 0 the loss is
 * 1/(4 beta^2). Lengths are clamped to at least 1 as in TRL.
 *
 * Conventions: the IPO paper's h is the summed sequence log-ratio (`ipoNormalizeLength: false`).
 * TRL divides each log-ratio by its completion length first: TRL 0.x in `concatenated_forward`
 * (`if "ipo" in loss_type: all_logps = all_logps / size_completion`, which then also normalised
 * every other loss in a multi-loss list), TRL 1.x inside the `ipo` branch only (`chosen_scores /
 * chosen_mask.sum(dim=1).clamp(min=1.0)`), with a comment that the IPO authors confirmed their
 * reported results used this normalised form. We default to TRL's convention and, like TRL 1.x,
 * normalise for `ipo` alone.
 *
 * beta must be > 0: at beta = 0 the target 1/(2 beta) is infinite, so this throws
 * {@link InvalidArgumentError} (resolvePreferenceLossConfig rejects that config up front).
 *
 * @see Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human
 *   Preferences", Eq. 17.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const ipoLoss: PreferenceLoss = {
  type: 'ipo',
  compute: ({ chosenLogRatios, rejectedLogRatios, chosenLengths, rejectedLengths, beta, options }) => {
    if (!(beta > 0)) {
      throw new InvalidArgumentError('beta', 'a number > 0 for the ipo loss (its target is 1 / (2 beta))', beta);
    }
    return tf.tidy(() => {
      const margin = options.ipoNormalizeLength
        ? tf.sub(perUnit(chosenLogRatios, chosenLengths), perUnit(rejectedLogRatios, rejectedLengths))
        : tf.sub(chosenLogRatios, rejectedLogRatios);
      return tf.square(tf.sub(margin, 1 / (2 * beta))) as tf.Tensor1D;
    });
  },
};
