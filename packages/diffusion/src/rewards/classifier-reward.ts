import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { DigitClassifier } from './digit-classifier.js';
import { toHostImage, type ImageReward } from './image-reward.js';

/**
 * Prompt-alignment reward: log p_classifier(condition | image), the classifier's log-probability
 * that the image shows the class it was generated for (at most 0; log(1/10) ~ -2.3 is chance
 * for 10 classes). The image is reshaped to the classifier's input shape.
 * The classifier must stay alive while the reward is used.
 */
export function classifierLogProbReward(classifier: DigitClassifier): ImageReward {
  const { imageShape, numClasses } = classifier.config;
  return (image, condition) => {
    if (!Number.isInteger(condition) || condition < 0 || condition >= numClasses) {
      throw new InvalidArgumentError('condition', `a class in [0, ${numClasses})`, condition);
    }
    const { data } = toHostImage(image);
    return tf.tidy(() => classifier.logProbs(tf.tensor4d(data, [1, ...imageShape])).dataSync()[condition]!);
  };
}

/**
 * The same reward for a whole batch as a tensor: log p(labels[i] | images[i]), `[batch]`.
 * @returns a new tensor; the caller disposes it.
 */
export function classifierLogProbs(
  classifier: DigitClassifier,
  images: tf.Tensor4D,
  labels: ArrayLike<number>,
): tf.Tensor1D {
  return tf.tidy(() => {
    const logProbs = classifier.logProbs(images);
    const mask = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), classifier.config.numClasses);
    return tf.sum(tf.mul(logProbs, mask), 1) as tf.Tensor1D;
  });
}
