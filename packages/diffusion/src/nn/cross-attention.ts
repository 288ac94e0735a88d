import * as tf from '@tensorflow/tfjs-core';
import type { ParameterStore } from './parameter-store.js';
import { createDense, dense, type DenseParams } from './layers.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from './group-norm.js';

/** Weights of a {@link crossAttention} layer. */
export interface CrossAttentionParams {
  /** GroupNorm of the image features before the queries. */
  readonly norm: GroupNormParams;
  /** `[channels, channels]` queries from the image features. */
  readonly query: DenseParams;
  /** `[contextDim, channels]` keys from the context vectors. */
  readonly key: DenseParams;
  /** `[contextDim, channels]` values from the context vectors. */
  readonly value: DenseParams;
  /** `[channels, channels]` output projection, zero-initialised: a new layer starts as the identity. */
  readonly out: DenseParams;
  /** Attention heads; divides `channels`. */
  readonly heads: number;
}

/**
 * Creates a cross-attention layer's weights under `name.{norm,q,k,v,out}`: PyTorch-default dense
 * layers, the output projection zero (Stable Diffusion's `proj_out` is zero-initialised the same
 * way, so the layer starts as the identity and the network as its attention-free self).
 * @throws Error when `heads` does not divide `channels` (the denoiser's config validation names the field first).
 */
export function createCrossAttention(
  store: ParameterStore,
  name: string,
  channels: number,
  contextDim: number,
  heads: number,
  groups: number,
): CrossAttentionParams {
  if (channels % heads !== 0) throw new Error(`${name}: ${heads} heads do not divide ${channels} channels`);
  return {
    norm: createGroupNorm(store, `${name}.norm`, channels, groups),
    query: createDense(store, `${name}.q`, channels, channels),
    key: createDense(store, `${name}.k`, contextDim, channels),
    value: createDense(store, `${name}.v`, contextDim, channels),
    out: createDense(store, `${name}.out`, channels, channels, true),
    heads,
  };
}

/**
 * Residual multi-head cross-attention from image features to context vectors (Stable Diffusion's
 * `attn2`, Rombach et al. 2022, Sec. 3.3; Vaswani et al. 2017):
 *
 *   Q = GN(h) W_q, K = c W_k, V = c W_v (per head, width channels / heads),
 *   h' = h + softmax(Q K^T / sqrt(d_head)) V W_out.
 *
 * Every image position attends to every context position (no mask, as Stable Diffusion attends to
 * all 77 CLIP positions padding included; the caption encoder's padding slots carry
 * caption-dependent vectors). Rank-4 transposes only, so it runs fast on wasm.
 *
 * @param h - `[b, H, W, C]` image features; @param context - `[b, L, contextDim]`.
 * @returns `[b, H, W, C]`, differentiable; the caller disposes it.
 */
export function crossAttention(params: CrossAttentionParams, h: tf.Tensor4D, context: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = h.shape;
    const [, length, contextDim] = context.shape;
    const heads = params.heads;
    const hd = channels / heads;
    const positions = height * width;
    const normed = tf.reshape(groupNorm(params.norm, h), [batch * positions, channels]) as tf.Tensor2D;
    const q = tf.mul(dense(params.query, normed), 1 / Math.sqrt(hd));
    const queries = tf.reshape(tf.transpose(tf.reshape(q, [batch, positions, heads, hd]), [0, 2, 1, 3]), [
      batch * heads,
      positions,
      hd,
    ]) as tf.Tensor3D;
    const flatContext = tf.reshape(context, [batch * length, contextDim]) as tf.Tensor2D;
    const keys = tf.reshape(
      tf.transpose(tf.reshape(dense(params.key, flatContext), [batch, length, heads, hd]), [0, 2, 3, 1]),
      [batch * heads, hd, length],
    ) as tf.Tensor3D;
    const values = tf.reshape(
      tf.transpose(tf.reshape(dense(params.value, flatContext), [batch, length, heads, hd]), [0, 2, 1, 3]),
      [batch * heads, length, hd],
    ) as tf.Tensor3D;
    const probabilities = tf.softmax(tf.matMul(queries, keys)); // [b*heads, HW, L]
    const attended = tf.matMul(probabilities, values); // [b*heads, HW, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(attended, [batch, heads, positions, hd]), [0, 2, 1, 3]), [
      batch * positions,
      channels,
    ]) as tf.Tensor2D;
    return tf.add(h, tf.reshape(dense(params.out, merged), [batch, height, width, channels])) as tf.Tensor4D;
  });
}
