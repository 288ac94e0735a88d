import * as tf from '@tensorflow/tfjs-core';

import { logSigmoid, perUnit } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Length-normalised DPO, SimPO-style (TRL `loss_type="sigmoid_norm"`): the DPO logistic loss on
 * per-unit (per-token) log-ratios, with an optional SimPO target margin gamma:
 *
 *   z    = chosenLogRatio / chosenLength - rejectedLogRatio / rejectedLength
 *   loss = -logSigmoid(beta * z - gamma)
 *
 * gamma = `options.simpoGamma` (default 0); lengths are clamped to at least 1 as in TRL.
 * logSigmoid keeps it finite for any margin; a tie costs softplus(gamma) (log 2 at gamma = 0).
 *
 * Provenance: TRL added `sigmoid_norm` in PR #5406 (2026), implementing the length-normalised
 * DPO of the Tülu 3 report (Eq. 6): `chosen_scores / chosen_mask.sum(dim=1).clamp(min=1.0)`
 * minus the same for rejected, then `-F.logsigmoid(self.beta * delta)`, with the reference model
 * kept and no margin. At simpoGamma = 0 we match it exactly. gamma is our addition from SimPO
 * (Meng et al. 2024, Eq. 6: -logSigmoid(beta/|y_w| log pi(y_w) - beta/|y_l| log pi(y_l) - gamma));
 * with `referenceFree: true` (reference scores 0) this loss is SimPO exactly, which TRL offers
 * only in its CPOTrainer (`loss_type="simpo"`, `simpo_gamma`).
 *
 * Lengths must count the units the scores summed over (completion tokens; 1 for an image). A
 * scorer that already averages (ScoreReduction 'mean') should omit lengths, which then default
 * to 1, or the normalisation is applied twice.
 *
 * @see Lambert et al. 2024, "Tülu 3: Pushing Frontiers in Open Language Model Post-Training", Eq. 6.
 * @see Meng, Xia & Chen 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward", Eq. 6.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const sigmoidNormLoss: PreferenceLoss = {
  type: 'sigmoid_norm',
  compute: ({ chosenLogRatios, rejectedLogRatios, chosenLengths, rejectedLengths, beta, options }) =>
    tf.tidy(() => {
      const margin = tf.sub(perUnit(chosenLogRatios, chosenLengths), perUnit(rejectedLogRatios, rejectedLengths));
      return tf.neg(logSigmoid(tf.sub(tf.mul(beta, margin), options.simpoGamma))) as tf.Tensor1D;
    }),
};
