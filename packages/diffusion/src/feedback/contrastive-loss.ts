import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@dpo-ts/core';

/**
 * CLIP's symmetric InfoNCE loss over a batch of matching (image, text) pairs: with L2-normalised
 * embeddings I, T `[n, d]` and logits = exp(logScale) I T^T `[n, n]`,
 *
 *   loss = ( CE(logits, diag) + CE(logits^T, diag) ) / 2
 *
 * where CE(L, diag) = mean_i (logsumexp_j L_ij - L_ii): each image must pick its own caption
 * among the batch's, and each caption its own image. `logScale` is the learned log inverse
 * temperature (CLIP initialises it at log(1 / 0.07) and clips exp(logScale) at 100).
 *
 * @see Radford et al. 2021, "Learning Transferable Visual Models From Natural Language Supervision", Figure 3.
 * @param imageEmbeddings - `[n, d]`, not necessarily normalised.
 * @param textEmbeddings - `[n, d]`; row i describes image i.
 * @param logScale - a scalar (a variable when learned).
 * @returns the scalar loss; differentiable in all three; the caller disposes it.
 */
export function clipContrastiveLoss(
  imageEmbeddings: tf.Tensor2D,
  textEmbeddings: tf.Tensor2D,
  logScale: tf.Scalar | tf.Variable,
): tf.Scalar {
  if (imageEmbeddings.shape.join() !== textEmbeddings.shape.join())
    throw new ShapeMismatchError('textEmbeddings', imageEmbeddings.shape, textEmbeddings.shape);
  return tf.tidy(() => {
    const logits = tf.mul(
      tf.exp(logScale),
      tf.matMul(normalizeRows(imageEmbeddings), normalizeRows(textEmbeddings), false, true),
    ) as tf.Tensor2D; // [n, n]
    const diagonal = tf.sum(tf.mul(logits, tf.eye(logits.shape[0])), 1); // [n]
    const imageToText = tf.mean(tf.sub(tf.logSumExp(logits, 1), diagonal));
    const textToImage = tf.mean(tf.sub(tf.logSumExp(logits, 0), diagonal));
    return tf.div(tf.add(imageToText, textToImage), 2) as tf.Scalar;
  });
}

/** Rows scaled to unit L2 norm (epsilon 1e-8 under the root), `[n, d] -> [n, d]`; caller disposes. */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-8))));
}
