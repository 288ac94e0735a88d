import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { assertSupportedConv2D, conv2dFilterGradient, conv2dInputGradient } from './conv2d-gradients.js';

/**
 * Gradient of `Conv2D` (tf.conv2d) built from forward convolutions only. wasm has no
 * Conv2DBackpropFilter kernel, so tfjs's own gradient cannot train a conv net there at all, and
 * its Conv2DBackpropInput kernel is slow; cpu's Conv2DBackpropFilter is pathological.
 *
 * - filter: {@link conv2dFilterGradient}, a forward conv of the padded input (batch and channels
 *   swapped) against dy, dilation = stride;
 * - input: {@link conv2dInputGradient}, a forward conv of the zero-dilated, (k-1)-padded dy with
 *   the spatially flipped, in/out-swapped filter.
 *
 * Shapes: x [N, H, W, C] (NHWC only), filter [kh, kw, C, O], dy [N, OH, OW, O]. Supports any
 * strides and 'same' / 'valid' / numeric / explicit padding; dilations must be 1 (as in tfjs's
 * own gradient). Tensors live in the engine's gradient tidy.
 */
export const conv2DGradConfig: GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const upstream = dy as tf.Tensor4D;
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as Conv2DAttrs;
    assertSupportedConv2D(tf.Conv2D, dataFormat, dilations);
    return {
      x: () => conv2dInputGradient(x.shape, upstream, filter, strides, pad, dimRoundingMode),
      filter: () => conv2dFilterGradient(x, upstream, filter.shape, strides, pad, dimRoundingMode),
    };
  },
};
