import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertShape } from '../errors/shape-mismatch-error.js';
import { requireNumber } from '../errors/validate.js';
import type { PairScores } from '../surrogate/pair-scores.js';
import { stopGradient } from './loss-ops.js';
import type { PreferenceLossContext, PreferenceLossState } from './preference-loss.js';
import type { ResolvedPreferenceLossConfig } from './preference-loss-config.js';
import { getPreferenceLoss } from './registry.js';

/** What {@link computePreferenceLoss} returns. Every tensor is new and owned by the caller. */
export interface PreferenceLossResult {
  /** sum_k lossWeights[k] * mean_i loss_k[i]: the scalar to minimise. Shape `[]`. */
  readonly loss: tf.Scalar;
  /** sum_k lossWeights[k] * loss_k[i] per pair (per quantile for `aot*`); its mean is `loss`. `[batch]`. */
  readonly losses: tf.Tensor1D;
  /** beta * (policy - reference) score of the chosen response, without gradient (TRL `rewards/chosen`). `[batch]`. */
  readonly chosenRewards: tf.Tensor1D;
  /** beta * (policy - reference) score of the rejected response, without gradient. `[batch]`. */
  readonly rejectedRewards: tf.Tensor1D;
}

/**
 * The preference loss of one batch: builds the log-ratios from policy and reference scores, runs
 * every configured loss variant and sums their batch means with the configured weights (TRL's
 * `DPOTrainer` loss loop).
 *
 *   chosenLogRatio   = policy.chosen - reference.chosen      (reference 0 when null or referenceFree)
 *   rejectedLogRatio = policy.rejected - reference.rejected
 *   losses[i]        = sum_k w_k * loss_k(context)[i]
 *   loss             = mean_i losses[i]  = sum_k w_k * mean_i loss_k[i]
 *
 * Gradients: differentiable in the policy scores; reference scores pass through a stop-gradient
 * (TRL computes them under `torch.no_grad()`), so a reference computed by a tape-tracked model
 * contributes nothing. Rewards carry no gradient. Use it inside `tf.variableGrads(() =>
 * computePreferenceLoss(...).loss)` or a tidy; the other outputs are then tracked like any tensor
 * created in that scope.
 *
 * State: `state` is read, not written; `bco_pair` builds its running-mean shift from it and the
 * current batch. After the step, call `updatePreferenceLossState(state, chosenRewards,
 * rejectedRewards)` once to commit the step (see `bcoPairLoss`).
 *
 * Shapes: every score and length `[batch]` with one batch size >= 1; lengths default to 1.
 * All intermediate tensors are released; the returned tensors are new and the caller disposes
 * them (or the enclosing tidy does). Inputs are not disposed.
 *
 * @param config a config from `resolvePreferenceLossConfig` (validated there; only cheap sanity
 *   checks are repeated here).
 * @throws {@link ShapeMismatchError} for a score or length that is not `[batch]`.
 * @throws {@link InvalidArgumentError} for a negative or non-finite beta or mismatched weights.
 */
export function computePreferenceLoss(
  policy: PairScores,
  reference: PairScores | null,
  config: ResolvedPreferenceLossConfig,
  state: PreferenceLossState,
): PreferenceLossResult {
  const batch = checkPairScores('policy', policy, null);
  if (reference !== null) checkPairScores('reference', reference, batch);
  const beta = requireNumber('config.beta', config.beta, { min: 0 });
  if (config.lossType.length === 0 || config.lossWeights.length !== config.lossType.length) {
    throw new InvalidArgumentError(
      'config',
      'a resolved config with one lossWeights entry per lossType',
      { lossType: config.lossType, lossWeights: config.lossWeights },
      'pass it through resolvePreferenceLossConfig',
    );
  }
  const losses = config.lossType.map((type) => getPreferenceLoss(type, 'config.lossType'));

  return tf.tidy(() => {
    const useReference = reference !== null && !config.referenceFree;
    const referenceChosenScores = useReference ? stopGradient(reference.chosen) : tf.zerosLike(policy.chosen);
    const referenceRejectedScores = useReference ? stopGradient(reference.rejected) : tf.zerosLike(policy.rejected);
    const chosenLogRatios = tf.sub(policy.chosen, referenceChosenScores) as tf.Tensor1D;
    const rejectedLogRatios = tf.sub(policy.rejected, referenceRejectedScores) as tf.Tensor1D;
    const context: PreferenceLossContext = {
      chosenLogRatios,
      rejectedLogRatios,
      policyChosenScores: policy.chosen,
      policyRejectedScores: policy.rejected,
      referenceChosenScores,
      referenceRejectedScores,
      chosenLengths: policy.chosenLengths ?? reference?.chosenLengths ?? tf.onesLike(policy.chosen),
      rejectedLengths: policy.rejectedLengths ?? reference?.rejectedLengths ?? tf.onesLike(policy.rejected),
      beta,
      options: config,
      state,
    };
    // [loss types] x [batch] -> [batch]
    const weighted = losses.map((loss, k) => tf.mul(loss.compute(context), config.lossWeights[k] ?? 1));
    const perPair = weighted.length === 1 ? (weighted[0] as tf.Tensor1D) : (tf.addN(weighted) as tf.Tensor1D);
    return {
      loss: tf.mean(perPair) as tf.Scalar,
      losses: perPair,
      chosenRewards: stopGradient(tf.mul(beta, chosenLogRatios) as tf.Tensor1D),
      rejectedRewards: stopGradient(tf.mul(beta, rejectedLogRatios) as tf.Tensor1D),
    };
  });
}

/** Checks one side's tensors are all `[batch]` (batch >= 1) and returns the batch size. */
function checkPairScores(side: string, scores: PairScores, batch: number | null): number {
  assertShape(`${side}.chosen`, scores.chosen.shape, [batch]);
  const size = scores.chosen.shape[0] ?? 0;
  if (size < 1) {
    throw new InvalidArgumentError(`${side}.chosen`, 'a tensor of shape [batch] with batch >= 1', scores.chosen.shape);
  }
  assertShape(`${side}.rejected`, scores.rejected.shape, [size]);
  if (scores.chosenLengths !== undefined) assertShape(`${side}.chosenLengths`, scores.chosenLengths.shape, [size]);
  if (scores.rejectedLengths !== undefined)
    assertShape(`${side}.rejectedLengths`, scores.rejectedLengths.shape, [size]);
  return size;
}
