import * as tf from '@tensorflow/tfjs-core';
import { requireNumber } from '@dpo-ts/core';
import { selectTokenLogProbs, type GPT } from '@dpo-ts/lm';
import type { RolloutTensors } from './rollout-layout.js';

/**
 * Final hidden states of a GPT at the positions that predict the response tokens: the model
 * runs on `inputIds` `[B, L]` (with the left-padding attention mask and position ids), and
 * positions `P - 1 .. P + R - 2` are kept: `[B, L, d] -> [B, R, d]`. For a policy these feed the
 * LM head; for a value model (or a value head on the policy backbone) they are the states
 * s_t whose value V(s_t) precedes response token t (TRL's `full_value[:, context_length - 1 : -1]`).
 *
 * @returns a new tensor the caller disposes; differentiable in the model's variables.
 */
export function responseHiddenStates(
  model: GPT,
  inputs: Pick<RolloutTensors, 'inputIds' | 'attentionMask' | 'positionIds' | 'responseIds'>,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, L] = inputs.inputIds.shape;
    const R = inputs.responseIds.shape[1];
    const d = model.config.dModel;
    const hidden = model.hiddenStates(inputs.inputIds, {
      attentionMask: inputs.attentionMask,
      positionIds: inputs.positionIds,
    }); // [B, L, d]
    return tf.slice(hidden, [0, L - R, 0], [B, R, d]) as tf.Tensor3D; // L - R = P - 1
  });
}

/**
 * The GPT's output projection applied to hidden states: `[B, R, d] -> [B * R, V]`. Uses the
 * model's own head weights (`wte` transposed when tied, else `lm_head.kernel`), read from its
 * named variables, so one transformer pass yields both logits and values.
 *
 * (This mirrors `GPT`'s private head; a `GPT.forwardWithHidden` in `@dpo-ts/lm` would make it
 * unnecessary.)
 * @returns a new tensor the caller disposes.
 */
export function outputLogits(model: GPT, hidden: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, R, d] = hidden.shape;
    const weights = model.namedVariables();
    const kernel = model.config.tieWeights ? tf.transpose(weights.get('wte')!) : weights.get('lm_head.kernel')!;
    return tf.matMul(tf.reshape(hidden, [B * R, d]) as tf.Tensor2D, kernel as tf.Tensor2D);
  });
}

/** What {@link responseLogProbs} returns; every tensor belongs to the caller. */
export type ResponseLogProbs = {
  /** log softmax(logits / T) of each response token, `[B, R]`. */
  readonly logProbs: tf.Tensor2D;
  /** Entropy of softmax(logits / T) at each response position, `[B, R]`. */
  readonly entropy: tf.Tensor2D;
  /** The hidden states the logits came from, `[B, R, d]` (for a value head on the policy backbone). */
  readonly hidden: tf.Tensor3D;
};

/**
 * Per-token log-probabilities of the response under `model` at sampling temperature T, the
 * quantity PPO's ratio compares (TRL: `logits /= temperature; selective_log_softmax`), plus the
 * entropy `logsumexp(z) - sum softmax(z) z` of each position's distribution (`policy/entropy_avg`)
 * and the hidden states. One transformer pass.
 *
 * @returns new tensors the caller disposes; differentiable in the model's variables.
 */
export function responseLogProbs(model: GPT, inputs: RolloutTensors, temperature: number): ResponseLogProbs {
  requireNumber('temperature', temperature, { min: 0, exclusiveMin: true });
  return tf.tidy(() => {
    const [B, R] = inputs.responseIds.shape;
    const hidden = responseHiddenStates(model, inputs);
    const scaled = tf.div(outputLogits(model, hidden), temperature) as tf.Tensor2D; // [B*R, V]
    const logProbs = tf.reshape(selectTokenLogProbs(scaled, tf.reshape(inputs.responseIds, [B * R]) as tf.Tensor1D), [
      B,
      R,
    ]) as tf.Tensor2D;
    const probabilities = tf.softmax(scaled);
    const entropy = tf.reshape(tf.sub(tf.logSumExp(scaled, -1), tf.sum(tf.mul(probabilities, scaled), -1)), [
      B,
      R,
    ]) as tf.Tensor2D;
    return { logProbs, entropy, hidden };
  });
}
