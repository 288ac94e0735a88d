import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@dpo-ts/core/training';
import { dense } from './dense.js';
import type { GPTBlockParameters } from './gpt-parameters.js';
import type { LayerKeyValues } from './kv-cache.js';
import { seededDropout } from './seeded-dropout.js';

/** Shapes and switches for {@link causalSelfAttention}. */
export interface CausalSelfAttentionOptions {
  /** B. */
  readonly batchSize: number;
  /** T, the number of new positions. */
  readonly length: number;
  readonly nHead: number;
  /** Additive bias from {@link attentionBias}: `[T, Tk]` or `[B, 1, T, Tk]`. */
  readonly bias: tf.Tensor;
  /** Keys and values of earlier positions (incremental decoding). */
  readonly past?: LayerKeyValues | undefined;
  /** Dropout rate on the attention probabilities and the output; used only with `rng`. */
  readonly dropout: number;
  /** Dropout seeds; undefined means evaluation (no dropout). */
  readonly rng?: Rng | undefined;
  /** Return this layer's keys and values (past ones included) for a KV cache. */
  readonly returnPresent: boolean;
}

/**
 * Multi-head causal self-attention, GPT-2 layout: one `[d, 3d]` projection for queries, keys
 * and values, `softmax(q k^T / sqrt(hd) + bias) v` per head, and an output projection.
 *
 * Layout, chosen for wasm: dense layers are 2-D matmuls over `[B*T, d]`; heads are formed by
 * reshaping to `[B, T, H, hd]` and a rank-4 transpose (rank-5 transposes are ~75x slower on
 * wasm); keys are transposed to `[B, H, hd, T]` before the score matmul, so no matmul operand
 * is transposed.
 *
 * @see Vaswani et al. 2017, "Attention Is All You Need", Eq. 1 and Sec. 3.2.2.
 * @param x - the layer-normed residual stream, `[B*T, d]`.
 * @returns `output` `[B*T, d]` and, when asked, `present` (keys `[B, H, hd, Tk]`, values
 *   `[B, H, Tk, hd]`); new tensors the caller disposes.
 */
export function causalSelfAttention(
  x: tf.Tensor2D,
  parameters: GPTBlockParameters['attention'],
  options: CausalSelfAttentionOptions,
): { output: tf.Tensor2D; present: LayerKeyValues | undefined } {
  const { batchSize: B, length: T, nHead: H, bias, past, dropout, rng } = options;
  const d = x.shape[1];
  const hd = d / H;
  return tf.tidy(() => {
    // [B*T, d] -> [B*T, 3d] -> 3 x [B*T, d]
    const [q, k, v] = tf.split(dense(x, parameters.cAttn), 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    // Scale q (B*T*d values) rather than the scores (B*H*T*Tk values).
    const queries = tf.transpose(tf.reshape(tf.mul(q, 1 / Math.sqrt(hd)), [B, T, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
    let keys = tf.transpose(tf.reshape(k, [B, T, H, hd]), [0, 2, 3, 1]) as tf.Tensor4D; // [B, H, hd, T]
    let values = tf.transpose(tf.reshape(v, [B, T, H, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, T, hd]
    if (past) {
      keys = tf.concat([past.keys, keys], 3);
      values = tf.concat([past.values, values], 2);
    }
    const Tk = values.shape[2];
    // [B*H, T, hd] x [B*H, hd, Tk] -> [B*H, T, Tk]
    let scores: tf.Tensor = tf.matMul(tf.reshape(queries, [B * H, T, hd]), tf.reshape(keys, [B * H, hd, Tk]));
    scores =
      bias.rank === 2
        ? tf.add(scores, bias)
        : tf.reshape(tf.add(tf.reshape(scores, [B, H, T, Tk]), bias), [B * H, T, Tk]);
    const probabilities = seededDropout(tf.softmax(scores), dropout, rng) as tf.Tensor3D;
    // [B*H, T, Tk] x [B*H, Tk, hd] -> [B*H, T, hd] -> [B, H, T, hd] -> [B, T, H, hd] -> [B*T, d]
    const context = tf.matMul(probabilities, tf.reshape(values, [B * H, Tk, hd]));
    const attended = tf.reshape(tf.transpose(tf.reshape(context, [B, H, T, hd]), [0, 2, 1, 3]), [
      B * T,
      d,
    ]) as tf.Tensor2D;
    const output = seededDropout(dense(attended, parameters.cProj), dropout, rng);
    return { output, present: options.returnPresent ? { keys, values } : undefined };
  });
}
