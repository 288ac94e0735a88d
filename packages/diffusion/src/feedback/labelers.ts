import * as tf from '@tensorflow/tfjs-core';
import type { TokenizedCLIP } from './feedback-checkpoint.js';
import type { StyleClassifier } from './style-classifier.js';

/**
 * Something that scores images for their captions, higher = preferred, on a log-odds scale: the
 * difference of two images' scores is the log-odds that it prefers the first (Bradley-Terry, as
 * PickScore's softmax over two images). Labelers label pairs; oracles (same interface) only evaluate.
 */
export interface ImageLabeler {
  /** Written beside each label (`labeler` field of the JSONL). */
  readonly name: string;
  /**
   * `[n, h, w, c]` images in [-1, 1] (not disposed) and their n captions -> n scores on the host.
   */
  score(images: tf.Tensor4D, captions: readonly string[]): Promise<Float32Array>;
}

/** The AI-feedback labeler: a CLIP's scale * cos(image, caption), PickScore's score. */
export function clipLabeler(model: TokenizedCLIP, name = 'clip'): ImageLabeler {
  return {
    name,
    score: async (images, captions) => {
      const maxLength = model.clip.textEncoder.config.maxLength;
      const scores = model.clip.scorePairs(images, model.tokenizer.encodeBatch(captions, maxLength));
      try {
        return Float32Array.from(await scores.data());
      } finally {
        scores.dispose();
      }
    },
  };
}

/** The personal-taste labeler: a style classifier's logit of its `positive` style; captions are ignored. */
export function styleLabeler(classifier: StyleClassifier, name = `style:${classifier.config.positive}`): ImageLabeler {
  return {
    name,
    score: async (images) => {
      const logits = classifier.logits(images);
      try {
        return Float32Array.from(await logits.data());
      } finally {
        logits.dispose();
      }
    },
  };
}

/** Mean of `labeler`'s scores above 0 (the share judged in the positive style, for a style classifier), over images in batches. */
export async function positiveShare(
  labeler: ImageLabeler,
  images: Float32Array,
  imageShape: readonly [number, number, number],
  captions: readonly string[],
  batchSize = 64,
): Promise<number> {
  const [h, w, c] = imageShape;
  const n = captions.length;
  let positive = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const batch = tf.tensor4d(images.subarray(start * h * w * c, (start + size) * h * w * c), [size, h, w, c]);
    try {
      const scores = await labeler.score(batch, captions.slice(start, start + size));
      positive += scores.filter((s) => s > 0).length;
    } finally {
      batch.dispose();
    }
  }
  return positive / n;
}
