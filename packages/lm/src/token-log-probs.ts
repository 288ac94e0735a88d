import * as tf from '@tensorflow/tfjs-core';
import { requireNumber } from '@dpo-ts/core';
import type { CausalLanguageModel, CausalLMForwardOptions } from './causal-lm.js';
import { oneHotFloat32 } from './one-hot-float.js';

/** Options of {@link tokenLogProbs}: the forward options plus a temperature. */
export interface TokenLogProbsOptions extends CausalLMForwardOptions {
  /**
   * Divide the logits by this before the softmax: log-probs under the distribution a sampler
   * with this temperature drew from (TRL's PPO scores rollouts this way).
   * @defaultValue 1
   */
  readonly temperature?: number;
}

/**
 * Log-probability of one target per row: `log softmax(logits / temperature)[n, targets[n]]`
 * `= z[n, targets[n]] - logsumexp(z[n])` with `z = logits / temperature`.
 *
 * Picks the target logit with a one-hot product (its gradient is elementwise on every
 * backend; `tf.gather` along the vocabulary would need UnsortedSegmentSum on wasm) and never
 * forms the full `[N, V]` log-softmax.
 *
 * @param logits - `[N, V]`.
 * @param targets - int32 `[N]`.
 * @returns `[N]`, a new tensor the caller disposes.
 */
export function selectTokenLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D, temperature = 1): tf.Tensor1D {
  requireNumber('temperature', temperature, { min: 0, exclusiveMin: true });
  return tf.tidy(() => {
    const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
    const vocabSize = logits.shape[1];
    const picked = tf.sum(tf.mul(scaled, oneHotFloat32(targets, vocabSize)), -1);
    return tf.sub(picked, tf.logSumExp(scaled, -1)) as tf.Tensor1D;
  });
}

/**
 * Per-position log-likelihood of each next token under `model`:
 * `out[b, t] = log p(inputIds[b, t + 1] | inputIds[b, 0..t])` for `t = 0 .. T - 2`.
 * One forward pass; differentiable with respect to the model's variables.
 *
 * @param inputIds - int32 `[B, T]`, T >= 1.
 * @returns `[B, T - 1]` (column t scores token t + 1); a new tensor the caller disposes.
 * @see Radford et al. 2019, Eq. 1 (the autoregressive factorisation p(x) = prod p(x_t | x_<t)).
 */
export function tokenLogProbs(
  model: CausalLanguageModel,
  inputIds: tf.Tensor2D,
  options: TokenLogProbsOptions = {},
): tf.Tensor2D {
  const { temperature = 1, ...forwardOptions } = options;
  return tf.tidy(() => tokenLogProbsFromLogits(model.forward(inputIds, forwardOptions), inputIds, temperature));
}

/**
 * {@link tokenLogProbs} from logits already computed (`model.forward(inputIds)`), for callers
 * that read the logits too (lm's preference scorer logs TRL's `logits/chosen`).
 *
 * @param logits - `[B, T, V]`, the forward pass of `inputIds`.
 * @param inputIds - int32 `[B, T]`.
 * @returns `[B, T - 1]` (column t scores token t + 1); a new tensor the caller disposes.
 */
export function tokenLogProbsFromLogits(logits: tf.Tensor3D, inputIds: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = inputIds.shape;
    const V = logits.shape[2];
    // Score every position against the next token (the last against a dummy 0) and drop the
    // last column afterwards: slicing [B, T] is cheaper than slicing the [B, T, V] logits.
    const ids = tf.cast(inputIds, 'int32');
    const next = tf.concat([tf.slice(ids, [0, 1], [B, T - 1]), tf.zeros([B, 1], 'int32')], 1);
    const all = selectTokenLogProbs(tf.reshape(logits, [B * T, V]), tf.reshape(next, [B * T]), temperature);
    return tf.slice(tf.reshape(all, [B, T]), [0, 0], [B, T - 1]) as tf.Tensor2D;
  });
}
