import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { assertSupportedConv2D, conv2dFilterGradient } from './conv2d-gradients.js';

/**
 * Gradient of `Conv2DBackpropInput`, the kernel behind tf.conv2dTranspose, without
 * Conv2DBackpropFilter (missing on wasm), so transposed convolutions (decoder / UNet
 * up-sampling) can train there.
 *
 * The forward op is linear in both inputs: out = conv2dInputGradient(dy, filter), the input
 * gradient of a conv with that filter. Its adjoints, for the upstream gradient ddx (shaped like
 * the conv's input, [N, H, W, C]):
 * - dy: conv2d(ddx, filter) with the op's strides and padding (a forward conv);
 * - filter: the filter gradient of that conv with input ddx and output gradient dy,
 *   {@link conv2dFilterGradient}.
 *
 * Shapes: dy [N, OH, OW, O] (the op's input), filter [kh, kw, C, O], ddx [N, H, W, C]. NHWC
 * only. Tensors live in the engine's gradient tidy.
 */
export const conv2DBackpropInputGradConfig: GradConfig = {
  kernelName: tf.Conv2DBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const upstream = ddx as tf.Tensor4D;
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as Conv2DBackpropInputAttrs;
    assertSupportedConv2D(tf.Conv2DBackpropInput, dataFormat, undefined);
    return {
      dy: () => tf.conv2d(upstream, filter, strides, pad, 'NHWC', 1, dimRoundingMode),
      filter: () => conv2dFilterGradient(upstream, dy, filter.shape, strides, pad, dimRoundingMode),
    };
  },
};
