import * as tf from '@tensorflow/tfjs-core';

import { smoothedLogisticLoss, sortAscending } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Alignment via Optimal Transport for paired data (TRL `loss_type="aot"`): instead of comparing
 * each pair's policy margin with its own reference margin, it sorts both margins over the batch
 * and compares them quantile by quantile, which makes the policy's margin distribution
 * first-order stochastically dominate the reference's:
 *
 *   policyMargins    = sort(policyChosenScore - policyRejectedScore)          (ascending, over the batch)
 *   referenceMargins = sort(referenceChosenScore - referenceRejectedScore)
 *   delta            = policyMargins - referenceMargins
 *   loss_i           = -(1 - epsilon) * logSigmoid(beta * delta_i) - epsilon * logSigmoid(-beta * delta_i)
 *
 * with epsilon = `options.labelSmoothing`, as in TRL. Entry i of the result belongs to the i-th
 * quantile, NOT to pair i: only its mean (or sum) over the batch is meaningful, and per-pair
 * weights applied after this loss would be mixed up. The loss is a batch-level objective, so
 * the AOT authors recommend the largest batch that fits. Sorting is differentiable (a
 * permutation); logSigmoid keeps it finite for any margin. When the reference margins are a
 * permutation of the policy margins every quantile gap is 0 and each entry is log 2.
 *
 * @see Melnyk et al. 2024, "Distributional Preference Alignment of LLMs via Optimal Transport"
 *   (paired AOT); TRL `dpo_loss`, branch `aot` (huggingface/trl PR #1701).
 * @returns per-quantile loss, shape `[batch]`; the caller disposes it.
 */
export const aotLoss: PreferenceLoss = {
  type: 'aot',
  compute: ({
    policyChosenScores,
    policyRejectedScores,
    referenceChosenScores,
    referenceRejectedScores,
    beta,
    options,
  }) =>
    tf.tidy(() => {
      const policyMargins = sortAscending(tf.sub(policyChosenScores, policyRejectedScores));
      const referenceMargins = sortAscending(tf.sub(referenceChosenScores, referenceRejectedScores));
      return smoothedLogisticLoss(tf.mul(beta, tf.sub(policyMargins, referenceMargins)), options.labelSmoothing);
    }),
};
