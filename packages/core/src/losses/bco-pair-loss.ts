import * as tf from '@tensorflow/tfjs-core';

import { logSigmoid, stopGradient } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Binary Classifier Optimisation for pairs (TRL `loss_type="bco_pair"`): a logistic classifier
 * that labels the chosen response 1 and the rejected one 0, with the implicit reward shifted by
 * a running mean delta of past rewards:
 *
 *   chosenReward = beta * chosenLogRatio,  rejectedReward = beta * rejectedLogRatio
 *   loss = -logSigmoid(chosenReward - delta) - logSigmoid(-(rejectedReward - delta))
 *
 * delta, like TRL's `RunningMoments` after its `update`, is the running mean of per-step batch
 * means of the rewards *including the current batch*:
 *
 *   batchMean = mean([chosenReward..., rejectedReward...])   (no gradient)
 *   delta     = state.bcoRunningMean + (batchMean - state.bcoRunningMean) / (state.bcoRunningCount + 1)
 *
 * which is exactly what TRL computes (`self.running.update(rewards); delta = self.running.mean`,
 * count starting at 1e-24, so the first step's delta is that batch's mean). TRL mutates the
 * running moments inside the loss; here the loss only reads `state` and builds delta in the
 * graph, and {@link updatePreferenceLossState} commits the same update after the step from the
 * rewards that computePreferenceLoss returns. Call it once per loss computation (per micro-batch,
 * as TRL updates once per `compute_loss`), and not for evaluation batches if eval must not move
 * the shift (TRL's does).
 *
 * delta carries no gradient (TRL `.detach()`s the rewards before updating). Finite for any
 * finite inputs: logSigmoid throughout. At zero log-ratios with delta = 0 the loss is 2 log 2.
 *
 * TRL versions: TRL 1.x's rewritten DPOTrainer dropped the shift (`-F.logsigmoid(chosen_rewards)
 * - F.logsigmoid(-rejected_rewards)`, i.e. delta = 0) and moved RunningMoments to the
 * experimental BCO trainer; we keep the 0.x behaviour, which is the paper's.
 *
 * @see Jung et al. 2024, "Binary Classifier Optimization for Large Language Model Alignment"
 *   (the reward shift delta); TRL 0.x `dpo_loss`, branch `bco_pair`; `trl/trainer/utils.py`
 *   `RunningMoments.update`.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const bcoPairLoss: PreferenceLoss = {
  type: 'bco_pair',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta, state }) =>
    tf.tidy(() => {
      const chosenRewards = tf.mul(beta, chosenLogRatios);
      const rejectedRewards = tf.mul(beta, rejectedLogRatios);
      const batchMean = stopGradient(tf.mean(tf.concat([chosenRewards, rejectedRewards])));
      const previousMean = state.bcoRunningMean;
      const delta = tf.add(previousMean, tf.div(tf.sub(batchMean, previousMean), state.bcoRunningCount + 1));
      return tf.neg(
        tf.add(logSigmoid(tf.sub(chosenRewards, delta)), logSigmoid(tf.neg(tf.sub(rejectedRewards, delta)))),
      ) as tf.Tensor1D;
    }),
};
