import * as tf from '@tensorflow/tfjs-core';

import { logSigmoid, preferenceLogits } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Largest exponent the `discopop` exponential term may reach (exp(50) is about 5e21, far inside
 * float32). It can only bind when `discopopTau` > 1; see {@link discopopLoss}.
 */
export const DISCOPOP_MAX_EXPONENT = 50;

/**
 * DiscoPOP's log-ratio modulated loss, found by LLM-driven objective discovery (TRL
 * `loss_type="discopop"`). With l = beta * (chosenLogRatio - rejectedLogRatio) and
 * tau = `options.discopopTau`, it blends the logistic and the exponential loss:
 *
 *   m    = sigmoid(l / tau)
 *   loss = -logSigmoid(l) * (1 - m) + exp(-l) * m
 *
 * At a tie (or beta = 0) m = 1/2 and the loss is (1 + log 2) / 2.
 *
 * Numerics, and where we differ from TRL: TRL evaluates `torch.exp(-logits) * sigmoid(logits /
 * tau)` literally, so for l below about -88 float32 gives exp(-l) = inf, m = 0 and inf * 0 = NaN,
 * although the product tends to 0 (for tau < 1). We compute the exponential term in log space,
 *
 *   exp(-l) * m = exp(min(-l + logSigmoid(l / tau), DISCOPOP_MAX_EXPONENT))
 *
 * and 1 - m as sigmoid(-l / tau). For tau <= 1 the exponent is <= 0 for every l, so the clamp
 * never binds and the value equals the paper's formula wherever TRL's is finite, while staying
 * finite (about -l, the logistic branch) for any negative margin. For tau > 1 the true loss grows
 * like exp(l * (1/tau - 1)) as l -> -infinity; there we cap the exponent at
 * {@link DISCOPOP_MAX_EXPONENT}, so the loss is bounded by about 5e21 and its gradient through
 * the exponential term is 0 beyond the cap.
 *
 * @see Chris Lu et al. 2024, "Discovering Preference Optimization Algorithms with and for Large
 *   Language Models", Eq. 5 (tau = 0.05).
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const discopopLoss: PreferenceLoss = {
  type: 'discopop',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta, options }) =>
    tf.tidy(() => {
      const tau = options.discopopTau;
      const logits = tf.mul(beta, preferenceLogits(chosenLogRatios, rejectedLogRatios));
      const scaled = tf.div(logits, tau);
      const logistic = tf.mul(tf.neg(logSigmoid(logits)), tf.sigmoid(tf.neg(scaled)));
      const exponent = tf.minimum(tf.add(tf.neg(logits), logSigmoid(scaled)), DISCOPOP_MAX_EXPONENT);
      return tf.add(logistic, tf.exp(exponent));
    }),
};
