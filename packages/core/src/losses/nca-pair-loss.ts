import * as tf from '@tensorflow/tfjs-core';

import { logSigmoid } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Noise Contrastive Alignment for pairs (TRL `loss_type="nca_pair"`). It scores each response on
 * its own (absolute likelihood) rather than only the margin: with chosenReward = beta *
 * chosenLogRatio and rejectedReward = beta * rejectedLogRatio,
 *
 *   loss = -logSigmoid(chosenReward) - 0.5 * logSigmoid(-chosenReward) - 0.5 * logSigmoid(-rejectedReward)
 *
 * At zero log-ratios (or beta = 0) it is 2 log 2. All terms are logSigmoid: finite everywhere.
 *
 * @see Chen et al. 2024, "Noise Contrastive Alignment of Language Models with Explicit Rewards"
 *   (the paired NCA objective); TRL `dpo_loss`, branch `nca_pair`, which has this form.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const ncaPairLoss: PreferenceLoss = {
  type: 'nca_pair',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta }) =>
    tf.tidy(() => {
      const chosenRewards = tf.mul(beta, chosenLogRatios);
      const rejectedRewards = tf.mul(beta, rejectedLogRatios);
      const pull = tf.neg(logSigmoid(chosenRewards));
      const push = tf.mul(-0.5, tf.add(logSigmoid(tf.neg(chosenRewards)), logSigmoid(tf.neg(rejectedRewards))));
      return tf.add(pull, push);
    }),
};
