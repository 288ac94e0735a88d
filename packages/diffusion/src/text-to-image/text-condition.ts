import * as tf from '@tensorflow/tfjs-core';
import type { EncodedText } from './caption-encoder.js';

/** Anything that encodes token ids into token vectors and a pooled embedding (`CaptionEncoder`). */
export interface TextEncoderLike {
  /** `[batch * maxLength]` ids -> token vectors and pooled embeddings; the caller disposes both. */
  encode(tokenIds: Int32Array, batch: number): EncodedText;
}

/** Anything that turns encoded captions into its conditioning rows (`LatentTextDenoiser`). */
export interface TextConditionedLike {
  /** Encoded captions -> `[batch, conditionWidth]` rows; does not dispose `encoded`, the caller disposes the result. */
  textCondition(encoded: EncodedText): tf.Tensor2D;
}

/**
 * Encodes `batch` captions' token ids and returns the denoiser's conditioning rows,
 * `[batch, conditionWidth]` (the pooled embedding, and with cross-attention the token vectors
 * after it; see `LatentTextDenoiser.textCondition`). Differentiable in the encoder's weights;
 * the encoder's intermediate outputs are disposed, the caller disposes the result.
 */
export function encodeTextCondition(
  encoder: TextEncoderLike,
  denoiser: TextConditionedLike,
  tokenIds: Int32Array,
  batch: number,
): tf.Tensor2D {
  return tf.tidy(() => denoiser.textCondition(encoder.encode(tokenIds, batch)));
}
