import * as tf from '@tensorflow/tfjs-core';

/**
 * Nearest-neighbour 2x up-sampling of NHWC images, `[b, h, w, c] -> [b, 2h, 2w, c]`:
 * out[b, 2i + a, 2j + d, c] = x[b, i, j, c] for a, d in {0, 1}.
 *
 * Forward: `tf.image.resizeNearestNeighbor` (no corner alignment, no half-pixel centres, so the
 * source index is floor(dst / 2)). Backward: each input pixel receives the sum of its 2x2
 * block, computed as 4 * avgPool(dy, 2, stride 2). The built-in gradient is not used because
 * tfjs-backend-wasm 4.22's ResizeNearestNeighborGrad is wrong for batch > 1 (every example after
 * the first reads the wrong rows of dy; found comparing with cpu). Measured on wasm at
 * [32, 14, 14, 32] -> 28: ~5 ms forward; a reshape + `tile` formulation took 340 ms (wasm's
 * Tile is slow) and reshape + `concat` 85 ms forward + backward.
 *
 * @returns a new tensor.
 */
export const upsampleNearest2x = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
  save([]);
  return {
    value: tf.image.resizeNearestNeighbor(x, [2 * x.shape[1], 2 * x.shape[2]], false, false),
    gradFunc: (dy: tf.Tensor) => tf.mul(tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid'), 4),
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;
