import * as tf from '@tensorflow/tfjs-core';
import type { ParameterStore } from './nn/parameter-store.js';
import { conv2d, createConv, createDense, dense, silu, type ConvParams, type DenseParams } from './nn/layers.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from './nn/group-norm.js';
import { upsampleNearest2x } from './nn/upsample.js';

/** Weights of one residual block (Ho et al. 2020's ResnetBlock without dropout). */
export interface ResBlockParams {
  readonly norm1: GroupNormParams;
  readonly conv1: ConvParams;
  readonly embedding: DenseParams;
  readonly norm2: GroupNormParams;
  readonly conv2: ConvParams;
  /** 1x1 projection of the input when the channel count changes. */
  readonly skip: DenseParams | undefined;
}

/**
 * Creates a residual block `name` from `inputs` to `outputs` channels, conditioned on an
 * embedding of size `embedDim`. `zeroInit` zeroes conv2 (Ho et al.'s init_scale = 0), so the
 * block starts as the identity (or its 1x1 projection).
 */
export function createResBlock(
  store: ParameterStore,
  name: string,
  inputs: number,
  outputs: number,
  embedDim: number,
  groups: number,
  zeroInit: boolean,
): ResBlockParams {
  return {
    norm1: createGroupNorm(store, `${name}.norm1`, inputs, groups),
    conv1: createConv(store, `${name}.conv1`, 3, inputs, outputs),
    embedding: createDense(store, `${name}.emb`, embedDim, outputs),
    norm2: createGroupNorm(store, `${name}.norm2`, outputs, groups),
    conv2: createConv(store, `${name}.conv2`, 3, outputs, outputs, zeroInit),
    skip: inputs === outputs ? undefined : createDense(store, `${name}.skip`, inputs, outputs),
  };
}

/**
 * h = conv1(silu(gn1(x))) + W silu(emb); h = conv2(silu(gn2(h))); out = skip(x) + h.
 * `[b, h, w, in]`, `[b, embedDim]` -> `[b, h, w, out]`.
 */
export function resBlock(params: ResBlockParams, x: tf.Tensor4D, embedding: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    let h = conv2d(params.conv1, silu(groupNorm(params.norm1, x)));
    const outputs = h.shape[3];
    const shift = tf.reshape(dense(params.embedding, silu(embedding)), [batch, 1, 1, outputs]);
    h = tf.add(h, shift);
    h = conv2d(params.conv2, silu(groupNorm(params.norm2, h)));
    const skip = params.skip === undefined ? x : pointwise(params.skip, x, batch * height * width, channels);
    return tf.add(skip, h);
  });
}

/**
 * A 1x1 convolution written as a matmul over `[b*h*w, c]`: same maths (Ho et al.'s NIN layer),
 * and matmul trains on every backend without conv gradient kernels.
 */
function pointwise(params: DenseParams, x: tf.Tensor4D, pixels: number, channels: number): tf.Tensor4D {
  const [batch, height, width] = x.shape;
  const y = dense(params, tf.reshape(x, [pixels, channels]) as tf.Tensor2D);
  return tf.reshape(y, [batch, height, width, y.shape[1]]);
}

/** Down-sampling: 3x3 conv with stride 2, 'same' padding (28 -> 14 -> 7), as Ho et al. */
export function createDownsample(store: ParameterStore, name: string, channels: number): ConvParams {
  return createConv(store, `${name}.conv`, 3, channels, channels);
}

/** `[b, h, w, c] -> [b, ceil(h/2), ceil(w/2), c]`. */
export function downsample(params: ConvParams, x: tf.Tensor4D): tf.Tensor4D {
  return conv2d(params, x, 2);
}

/** Up-sampling: nearest-neighbour 2x then a 3x3 conv, as Ho et al. */
export function createUpsample(store: ParameterStore, name: string, channels: number): ConvParams {
  return createConv(store, `${name}.conv`, 3, channels, channels);
}

/** `[b, h, w, c] -> [b, 2h, 2w, c]`. */
export function upsample(params: ConvParams, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => conv2d(params, upsampleNearest2x(x)));
}
