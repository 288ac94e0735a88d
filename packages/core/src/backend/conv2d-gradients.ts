import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DAttrs } from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** Strides as tf.conv2d takes them: one number for both axes or [height, width]. */
export type Conv2DStrides = Conv2DAttrs['strides'];
/** Padding as tf.conv2d takes it: 'same', 'valid', a number, or explicit NHWC pairs. */
export type Conv2DPadding = Conv2DAttrs['pad'];
/** Output-size rounding for numeric padding, as tf.conv2d takes it. */
export type DimRoundingMode = Conv2DAttrs['dimRoundingMode'];

type Pairs = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Throws unless the convolution is one the forward-conv gradients support: NHWC and dilation 1
 * (tfjs's own Conv2D gradient does not support dilations either).
 */
export function assertSupportedConv2D(kernelName: string, dataFormat: unknown, dilations: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new InvalidArgumentError(`${kernelName} dataFormat`, '"NHWC" for the dpo-ts gradient override', dataFormat);
  }
  if (dilations !== undefined && !tf.backend_util.tupleValuesAreOne(dilations as number | number[])) {
    throw new InvalidArgumentError(`${kernelName} dilations`, '1 for the dpo-ts gradient override', dilations);
  }
}

/**
 * Pads `x` [N, H, W, C] by [top, bottom] rows and [left, right] columns where positive and crops
 * where negative. Returns the cropped tensor and the remaining (non-negative) explicit padding
 * for tf.conv2d, so the pad itself is done by the convolution, never as a separate copy.
 */
function cropForPadding(
  x: tf.Tensor4D,
  rows: [number, number],
  columns: [number, number],
): { x: tf.Tensor4D; pad: Pairs | 'valid' } {
  const [n, h, w, c] = x.shape;
  const [top, bottom] = rows;
  const [left, right] = columns;
  let cropped = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const begin = [0, Math.max(-top, 0), Math.max(-left, 0), 0];
    const size = [n, h - begin[1]! - Math.max(-bottom, 0), w - begin[2]! - Math.max(-right, 0), c];
    cropped = tf.slice(x, begin, size);
  }
  const positive: Pairs = [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ];
  const none = positive.every(([before, after]) => before === 0 && after === 0);
  return { x: cropped, pad: none ? 'valid' : positive };
}

/**
 * Inserts stride - 1 zeros after every row and column of dy: [N, OH, OW, C] ->
 * [N, OH * sh, OW * sw, C] with dy[n, i, j, c] at [n, i * sh, j * sw, c]. Two rank-4 pads of
 * reshaped views (no rank-5 or rank-6 ops, which are slow on wasm).
 */
function dilateWithZeros(dy: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  let out: tf.Tensor4D = dy;
  if (strideWidth > 1) {
    const padded = tf.pad(tf.reshape(out, [n * oh, ow, 1, c]), [
      [0, 0],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    out = tf.reshape(padded, [n, oh, ow * strideWidth, c]);
  }
  if (strideHeight > 1) {
    const width = out.shape[2];
    const padded = tf.pad(tf.reshape(out, [n, oh, 1, width * c]), [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
    ]);
    out = tf.reshape(padded, [n, oh * strideHeight, width, c]);
  }
  return out;
}

/**
 * Gradient of conv2d with respect to its filter, computed as one forward convolution (wasm has
 * no Conv2DBackpropFilter kernel; cpu's is very slow).
 *
 * The maths: with xp the padded input, df[p, q, c, o] = sum_{n,i,j} xp[n, i*sh + p, j*sw + q, c]
 * dy[n, i, j, o]. Reading c as the batch, n as the input channel, (i, j) as filter taps dilated
 * by the stride and (p, q) as output positions, that is conv2d(xp^T, dy^T) with
 * xp^T = xp transposed [C, Hp, Wp, N], dy^T = dy transposed [OH, OW, N, O], stride 1,
 * dilation (sh, sw), 'valid': its output [C, kh, kw, O] transposed back is df. The padding is
 * passed to the convolution (explicit), after cropping the rows and columns no window reads.
 *
 * Shapes: x [N, H, W, C] NHWC, dy [N, OH, OW, O], filterShape [kh, kw, C, O];
 * returns [kh, kw, C, O]; the caller owns it. Dilations of the forward conv must be 1.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: Conv2DStrides,
  pad: Conv2DPadding,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
    const { top, left } = info.padInfo;
    // Rows of the padded input that some window reads: [0, (OH-1)*sh + kh).
    const bottom = (oh - 1) * sh + kh - top - x.shape[1];
    const right = (ow - 1) * sw + kw - left - x.shape[2];
    const { x: cropped, pad: explicit } = cropForPadding(x, [top, bottom], [left, right]);
    const xT = tf.transpose(cropped, [3, 1, 2, 0]); // [N, H, W, C] -> [C, H, W, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [N, OH, OW, O] -> [OH, OW, N, O]
    const dfT = tf.conv2d(xT, dyT, 1, explicit, 'NHWC', [sh, sw]); // [C, kh, kw, O]
    return tf.transpose(dfT, [1, 2, 0, 3]); // -> [kh, kw, C, O]
  });
}

/**
 * Gradient of conv2d with respect to its input, computed as one forward convolution (wasm's
 * Conv2DBackpropInput kernel is slow; this is also the forward pass of conv2dTranspose).
 *
 * The maths: dx[n, h, w, c] = sum over taps (p, q) and outputs (i, j) with i*sh + p - top = h,
 * j*sw + q - left = w of dy[n, i, j, o] f[p, q, c, o]. Spreading dy with sh - 1 (sw - 1) zeros
 * between rows (columns) turns this into a stride-1 correlation of the zero-dilated dy, padded by
 * kh - 1 - top rows above (kw - 1 - left columns left), with the filter flipped in both spatial
 * axes and its channel axes swapped: f'[p, q, o, c] = f[kh-1-p, kw-1-q, c, o].
 *
 * Shapes: xShape [N, H, W, C] NHWC, dy [N, OH, OW, O], filter [kh, kw, C, O]; returns xShape; the
 * caller owns it. Dilations of the forward conv must be 1.
 */
export function conv2dInputGradient(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: Conv2DStrides,
  pad: Conv2DPadding,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(
      xShape,
      filter.shape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    const dilated = dilateWithZeros(dy, sh, sw); // [N, OH*sh, OW*sw, O]
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    // Output height = dilated height + top + bottom - kh + 1 = H.
    const bottom = xShape[1] + kh - 1 - top - dilated.shape[1];
    const right = xShape[2] + kw - 1 - left - dilated.shape[2];
    const { x: cropped, pad: explicit } = cropForPadding(dilated, [top, bottom], [left, right]);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, O, C]
    return tf.conv2d(cropped, flipped as tf.Tensor4D, 1, explicit, 'NHWC');
  });
}
