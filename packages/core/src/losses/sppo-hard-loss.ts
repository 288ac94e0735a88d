import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Self-Play Preference Optimisation with hard win probabilities (TRL `loss_type="sppo_hard"`):
 * each log-ratio is regressed onto eta * (P - 1/2) with P = 1 for the chosen and 0 for the
 * rejected response, and eta = 1/beta:
 *
 *   loss = (chosenLogRatio - 1 / (2 * beta))^2 + (rejectedLogRatio + 1 / (2 * beta))^2
 *
 * Zero at chosenLogRatio = 1/(2 beta), rejectedLogRatio = -1/(2 beta). The paper estimates P
 * softly with a preference model (PairRM) outside the trainer; TRL, and we, use the hard 1/0
 * version. beta must be > 0 (the targets are +-1/(2 beta)); beta = 0 throws
 * {@link InvalidArgumentError}, and resolvePreferenceLossConfig rejects it up front.
 *
 * @see Wu et al. 2024, "Self-Play Preference Optimization for Language Model Alignment",
 *   Eq. 4.7 of Algorithm 1.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const sppoHardLoss: PreferenceLoss = {
  type: 'sppo_hard',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta }) => {
    if (!(beta > 0)) {
      throw new InvalidArgumentError(
        'beta',
        'a number > 0 for the sppo_hard loss (its targets are +-1 / (2 beta))',
        beta,
      );
    }
    return tf.tidy(() => {
      const target = 1 / (2 * beta);
      return tf.add(tf.square(tf.sub(chosenLogRatios, target)), tf.square(tf.add(rejectedLogRatios, target)));
    });
  },
};
