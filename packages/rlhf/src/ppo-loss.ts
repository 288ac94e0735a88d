import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import { clippedPolicyLoss } from './clipped-policy-loss.js';
import { clippedValueLoss } from './clipped-value-loss.js';
import type { PPOModels, PPORolloutBatch } from './ppo-rollout.js';
import { responseHiddenStates, responseLogProbs } from './response-forward.js';
import { pickRows, rolloutTensors } from './rollout-layout.js';
import { maskedMean } from './whiten.js';

/** Settings of {@link ppoLoss}. */
export interface PPOLossOptions {
  /** {@inheritDoc PPOConfig.temperature} */
  readonly temperature: number;
  /** {@inheritDoc PPOConfig.cliprange} */
  readonly cliprange: number;
  /** {@inheritDoc PPOConfig.cliprangeValue} */
  readonly cliprangeValue: number;
  /** {@inheritDoc PPOConfig.vfCoef} */
  readonly vfCoef: number;
}

/**
 * The rollout fields one PPO loss reads, as plain typed arrays (`[B, R]` row-major): a whole
 * {@link PPORolloutBatch}, or the rows of one micro-batch that `ppoUpdateBatch` copies out for
 * a worker thread (it survives `structuredClone`).
 */
export type PPOUpdateBatch = Pick<PPORolloutBatch, 'layout' | 'oldLogProbs' | 'oldValues' | 'advantages' | 'returns'>;

/** What {@link ppoLoss} returns; every tensor belongs to the caller. */
export type PPOLoss = {
  /** policy loss + vfCoef · value loss, shape []. */
  readonly loss: tf.Scalar;
  /** Scalars keyed by TRL's names: `loss/policy_avg`, `loss/value_avg`, `policy/clipfrac_avg`,
   * `val/clipfrac_avg`, `policy/approxkl_avg`, `val/ratio`, `policy/entropy_avg`. */
  readonly metrics: Record<string, tf.Scalar>;
};

/**
 * The PPO loss of some rows of a rollout batch under the current parameters, TRL's per
 * micro-batch computation: a forward pass of the policy (log-probs at temperature T and, for a
 * shared value head, the hidden states) and of the critic when separate, then
 * `clippedPolicyLoss + vfCoef * clippedValueLoss` over the response tokens.
 *
 * Call it inside `computeNamedGradients` / `tf.variableGrads`; it is differentiable in the
 * policy's, the critic's and the value head's variables.
 *
 * @see Schulman et al. 2017, Eq. 9 (L^CLIP - c1 L^VF, without the entropy bonus, as TRL);
 *   TRL `PPOTrainer.train` (the minibatch loop).
 * @returns the loss and the metric scalars; new tensors the caller disposes.
 */
export function ppoLoss(
  models: Pick<PPOModels, 'policy' | 'critic' | 'valueHead'>,
  batch: PPOUpdateBatch,
  rows: readonly number[],
  options: PPOLossOptions,
): PPOLoss {
  return tf.tidy(() => {
    const R = batch.layout.responseLength;
    const shape: [number, number] = [rows.length, R];
    const constant = (values: Float32Array): tf.Tensor2D => tf.tensor2d(pickRows(values, rows, R), shape);
    const inputs = rolloutTensors(batch.layout, rows);
    const mask = inputs.responseMask;
    const current = responseLogProbs(models.policy, inputs, options.temperature);
    const hidden = models.critic === undefined ? current.hidden : responseHiddenStates(models.critic, inputs);
    const policy = clippedPolicyLoss({
      logProbs: current.logProbs,
      oldLogProbs: constant(batch.oldLogProbs),
      advantages: constant(batch.advantages),
      mask,
      cliprange: options.cliprange,
    });
    const value = clippedValueLoss({
      values: models.valueHead.apply(hidden),
      oldValues: constant(batch.oldValues),
      returns: constant(batch.returns),
      mask,
      cliprangeValue: options.cliprangeValue,
    });
    return {
      loss: tf.add(policy.loss, tf.mul(options.vfCoef, value.loss)) as tf.Scalar,
      metrics: {
        [METRIC_NAMES.lossPolicyAvg]: policy.loss,
        [METRIC_NAMES.lossValueAvg]: value.loss,
        [METRIC_NAMES.policyClipfracAvg]: policy.clipFraction,
        [METRIC_NAMES.valClipfracAvg]: value.clipFraction,
        [METRIC_NAMES.policyApproxKlAvg]: policy.approxKl,
        [METRIC_NAMES.valRatio]: policy.ratioMean,
        [METRIC_NAMES.policyEntropyAvg]: maskedMean(current.entropy, mask),
      },
    };
  });
}
