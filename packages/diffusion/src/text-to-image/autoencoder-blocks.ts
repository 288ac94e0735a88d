import * as tf from '@tensorflow/tfjs-core';
import type { ParameterStore } from '../nn/parameter-store.js';
import { conv2d, createConv, silu, type ConvParams } from '../nn/layers.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from '../nn/group-norm.js';
import { upsampleNearest2x } from '../nn/upsample.js';

/**
 * Weights of an unconditioned residual block, Stable Diffusion's autoencoder `ResnetBlock`
 * (no timestep embedding, no dropout) at a fixed channel count.
 */
export interface PlainResBlockParams {
  readonly norm1: GroupNormParams;
  readonly conv1: ConvParams;
  readonly norm2: GroupNormParams;
  readonly conv2: ConvParams;
}

/** Creates a {@link PlainResBlockParams} named `name` over `channels` channels. */
export function createPlainResBlock(
  store: ParameterStore,
  name: string,
  channels: number,
  groups: number,
): PlainResBlockParams {
  return {
    norm1: createGroupNorm(store, `${name}.norm1`, channels, groups),
    conv1: createConv(store, `${name}.conv1`, 3, channels, channels),
    norm2: createGroupNorm(store, `${name}.norm2`, channels, groups),
    conv2: createConv(store, `${name}.conv2`, 3, channels, channels),
  };
}

/** out = x + conv2(silu(gn2(conv1(silu(gn1(x)))))): `[b, h, w, c] -> [b, h, w, c]`, a new tensor. */
export function plainResBlock(params: PlainResBlockParams, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const h = conv2d(params.conv1, silu(groupNorm(params.norm1, x)));
    return tf.add(x, conv2d(params.conv2, silu(groupNorm(params.norm2, h))));
  });
}

/** Nearest-neighbour 2x then a 3x3 conv: `[b, h, w, in] -> [b, 2h, 2w, out]`, a new tensor. */
export function upsampleConv(params: ConvParams, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => conv2d(params, upsampleNearest2x(x)));
}
