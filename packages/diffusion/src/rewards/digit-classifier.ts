import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  requireInteger,
  requireNumber,
  type Checkpointable,
  type NamedVariables,
} from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import type { ImageShape } from '../denoiser.js';
import { ParameterStore } from '../nn/parameter-store.js';
import { createDense, dense, type DenseParams } from '../nn/layers.js';
import { subsetDataset, type ImageDataset } from '../data/image-dataset.js';

/** Configuration of {@link DigitClassifier}. */
export interface DigitClassifierConfig {
  /** @defaultValue [28, 28, 1] */
  readonly imageShape: ImageShape;
  /** @defaultValue 10 */
  readonly numClasses: number;
  /** Widths of the hidden ReLU layers. @defaultValue [256] */
  readonly hiddenSizes: readonly number[];
  /** Seed of the weight initialisation. @defaultValue 0 */
  readonly seed: number;
}

/** An MNIST MLP: 784 -> 256 -> 10. */
export const DEFAULT_DIGIT_CLASSIFIER_CONFIG: DigitClassifierConfig = Object.freeze({
  imageShape: Object.freeze([28, 28, 1] as const),
  numClasses: 10,
  hiddenSizes: Object.freeze([256]),
  seed: 0,
});

/**
 * A small MLP classifier on [-1, 1] images (ReLU hidden layers, PyTorch-default init), the
 * judge of the prompt-alignment reward {@link classifierLogProbReward}: log p(class | image).
 * An MLP rather than a CNN so it trains in seconds on every backend (conv gradients need
 * core's wasm overrides and are slow on cpu). Weight names: `hidden.{i}`, `out` (`.kernel`, `.bias`).
 */
export class DigitClassifier implements Checkpointable {
  /** The resolved configuration (image shape, classes, hidden sizes, seed); frozen. */
  readonly config: DigitClassifierConfig;
  private readonly store: ParameterStore;
  private readonly hidden: DenseParams[];
  private readonly output: DenseParams;

  /**
   * Merges `config` over {@link DEFAULT_DIGIT_CLASSIFIER_CONFIG}, validates it and creates the
   * weights from core's `Rng` seeded with `config.seed`. The classifier owns its variables and
   * frees them in {@link DigitClassifier.dispose}.
   * @throws InvalidArgumentError for a bad `numClasses`, `seed` or hidden size.
   */
  constructor(config: Partial<DigitClassifierConfig> = {}) {
    const merged = { ...DEFAULT_DIGIT_CLASSIFIER_CONFIG, ...config };
    requireInteger('classifier.numClasses', merged.numClasses, { min: 2 });
    requireInteger('classifier.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 });
    merged.hiddenSizes.forEach((size, i) => {
      requireInteger(`classifier.hiddenSizes[${i}]`, size, { min: 1 });
    });
    this.config = Object.freeze(merged);
    this.store = new ParameterStore(new Rng(merged.seed));
    let width = merged.imageShape[0] * merged.imageShape[1] * merged.imageShape[2];
    this.hidden = merged.hiddenSizes.map((size, i) => {
      const layer = createDense(this.store, `hidden.${i}`, width, size);
      width = size;
      return layer;
    });
    this.output = createDense(this.store, 'out', width, merged.numClasses);
  }

  /** `[batch, h, w, c]` in [-1, 1] -> logits `[batch, numClasses]`. New tensor; caller disposes. */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = tf.reshape(images, [images.shape[0], -1]) as tf.Tensor2D;
      for (const layer of this.hidden) h = tf.relu(dense(layer, h));
      return dense(this.output, h);
    });
  }

  /** log-softmax of {@link DigitClassifier.logits}, `[batch, numClasses]`. Caller disposes. */
  logProbs(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.logSoftmax(this.logits(images)));
  }

  /** Most likely class of each image. */
  predict(images: tf.Tensor4D): Int32Array {
    return tf.tidy(() => tf.argMax(this.logits(images), 1).dataSync() as Int32Array).slice();
  }

  namedVariables(): NamedVariables {
    return this.store.namedVariables();
  }

  /** Every weight of the classifier (all trainable). */
  trainableVariables(): tf.Variable[] {
    return [...this.store.namedVariables().values()];
  }

  /** Frees the classifier's weights. */
  dispose(): void {
    tf.dispose(this.trainableVariables());
  }
}

/** Fraction of `dataset`'s images that `classifier` labels correctly (batches of 500). */
export function classifierAccuracy(classifier: DigitClassifier, dataset: ImageDataset): number {
  let correct = 0;
  for (let start = 0; start < dataset.count; start += 500) {
    const end = Math.min(dataset.count, start + 500);
    const size = dataset.imageShape[0] * dataset.imageShape[1] * dataset.imageShape[2];
    const images = tf.tensor4d(dataset.images.subarray(start * size, end * size), [end - start, ...dataset.imageShape]);
    const predicted = classifier.predict(images);
    images.dispose();
    predicted.forEach((label, i) => {
      if (label === dataset.labels[start + i]) correct++;
    });
  }
  return dataset.count === 0 ? 0 : correct / dataset.count;
}

/** Options of {@link trainDigitClassifier}. */
export interface DigitClassifierTrainingOptions {
  /** Architecture (imageShape and numClasses default to the dataset's). */
  readonly config?: Partial<DigitClassifierConfig>;
  /** Fraction of the given images kept aside to measure accuracy. @defaultValue 0.2 */
  readonly validationFraction?: number;
  /** @defaultValue 10 */
  readonly epochs?: number;
  /** @defaultValue 64 */
  readonly batchSize?: number;
  /** Adam learning rate. @defaultValue 1e-3 */
  readonly learningRate?: number;
  /** Seed of the split and the batch order. @defaultValue 0 */
  readonly seed?: number;
  /** Stop after this many seconds (checked between batches). @defaultValue Infinity */
  readonly maxSeconds?: number;
}

/** What {@link trainDigitClassifier} returns; the caller disposes `classifier`. */
export interface DigitClassifierTrainingResult {
  /** The trained classifier; the caller owns it and disposes it. */
  readonly classifier: DigitClassifier;
  /** Accuracy on the images it was fitted on. */
  readonly trainAccuracy: number;
  /** Accuracy on the validation part it never saw. */
  readonly validationAccuracy: number;
  /** Images it was fitted on. */
  readonly trainCount: number;
  /** Images held back for `validationAccuracy`: round(count * validationFraction). */
  readonly validationCount: number;
  /** Adam steps taken (fewer than epochs * batches when `maxSeconds` stopped training). */
  readonly steps: number;
  /** Wall-clock seconds of training and both accuracy passes. */
  readonly seconds: number;
}

/**
 * Trains a {@link DigitClassifier} with Adam on softmax cross-entropy and reports its accuracy
 * on a held-back part of the data. Meant for the held-out split of {@link loadMnist}, so the
 * reward model never saw the diffusion model's training images.
 *
 * Needs tfjs gradients registered (importing `@dpo-ts/core` does it).
 */
export function trainDigitClassifier(
  dataset: ImageDataset,
  options: DigitClassifierTrainingOptions = {},
): DigitClassifierTrainingResult {
  const validationFraction = requireNumber('validationFraction', options.validationFraction ?? 0.2, {
    min: 0,
    max: 1,
    exclusiveMax: true,
  });
  const epochs = requireInteger('epochs', options.epochs ?? 10, { min: 1 });
  const batchSize = requireInteger('batchSize', options.batchSize ?? 64, { min: 1 });
  const learningRate = requireNumber('learningRate', options.learningRate ?? 1e-3, { min: 0, exclusiveMin: true });
  const maxSeconds = requireNumber('maxSeconds', options.maxSeconds ?? Number.MAX_VALUE, {
    min: 0,
    exclusiveMin: true,
  });
  const rng = new Rng(requireInteger('seed', options.seed ?? 0, { min: 0, max: 2 ** 32 - 1 }));
  const order = rng.permutation(dataset.count);
  const validationCount = Math.round(dataset.count * validationFraction);
  const validation = subsetDataset(dataset, order.slice(0, validationCount));
  const train = subsetDataset(dataset, order.slice(validationCount));
  if (train.count === 0)
    throw new InvalidArgumentError('dataset', 'at least one training image after the validation split', dataset.count);
  const classifier = new DigitClassifier({
    imageShape: dataset.imageShape,
    numClasses: dataset.numClasses,
    ...options.config,
  });
  const optimizer = tf.train.adam(learningRate);
  const started = performance.now();
  let steps = 0;
  try {
    training: for (let epoch = 0; epoch < epochs; epoch++) {
      const batches = rng.permutation(train.count);
      for (let start = 0; start < train.count; start += batchSize) {
        const batch = subsetDataset(train, batches.slice(start, start + batchSize));
        tf.tidy(() => {
          const images = tf.tensor4d(batch.images, [batch.count, ...dataset.imageShape]);
          const targets = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), dataset.numClasses);
          optimizer.minimize(
            () => tf.neg(tf.mean(tf.sum(tf.mul(targets, classifier.logProbs(images)), 1))) as tf.Scalar,
            false,
            classifier.trainableVariables(),
          );
        });
        steps++;
        if ((performance.now() - started) / 1000 > maxSeconds) break training;
      }
    }
  } catch (error) {
    classifier.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  return {
    classifier,
    trainAccuracy: classifierAccuracy(classifier, train),
    validationAccuracy: validationCount > 0 ? classifierAccuracy(classifier, validation) : Number.NaN,
    trainCount: train.count,
    validationCount,
    steps,
    seconds: (performance.now() - started) / 1000,
  };
}
