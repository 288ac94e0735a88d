import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { loadMnist } from '../data/mnist.js';
import { datasetBatch, datasetImage, subsetDataset } from '../data/image-dataset.js';
import { classifierAccuracy, trainDigitClassifier } from './digit-classifier.js';
import { classifierLogProbReward, classifierLogProbs } from './classifier-reward.js';

describe('digit classifier reward', () => {
  it('trains on a few hundred held-out digits in seconds to well above chance, and scores log p(class | image)', async () => {
    const { train, heldOut } = await loadMnist();
    const few = subsetDataset(
      heldOut,
      Array.from({ length: 300 }, (_, i) => i),
    );
    const before = tf.memory().numTensors;
    const result = trainDigitClassifier(few, {
      epochs: 6,
      batchSize: 24,
      learningRate: 3e-3,
      config: { hiddenSizes: [32] },
    });
    // Measured: 0.68 validation accuracy on 60 unseen digits after 60 steps (~2 s on a busy cpu); chance is 0.1.
    expect(result.validationAccuracy).toBeGreaterThan(0.5);
    expect(result.trainAccuracy).toBeGreaterThan(result.validationAccuracy - 0.1);
    expect(result.trainCount + result.validationCount).toBe(300);
    const unseen = subsetDataset(
      train,
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(classifierAccuracy(result.classifier, unseen)).toBeGreaterThan(0.5);
    console.log(
      `classifier: ${result.steps} steps in ${result.seconds.toFixed(2)} s, validation accuracy ${result.validationAccuracy.toFixed(3)}`,
    );

    const reward = classifierLogProbReward(result.classifier);
    await expectNoLeak(() => {
      const image = datasetImage(unseen, 0);
      const label = unseen.labels[0]!;
      const scores = Array.from({ length: 10 }, (_, c) => reward(image, c));
      expect(scores.every((s) => s <= 0)).toBe(true);
      expect(scores.reduce((a, s) => a + Math.exp(s), 0)).toBeCloseTo(1, 4);
      expect(reward(image, label)).toBe(reward(image, label));
      const batch = datasetBatch(unseen, [0, 1, 2]);
      const batched = classifierLogProbs(result.classifier, batch.images, batch.labels);
      expect(batched.dataSync()[0]).toBeCloseTo(reward(image, label), 5);
      tf.dispose([batched, batch.images]);
    });
    expect(() => reward(datasetImage(unseen, 0), 10)).toThrow('condition must be a class in [0, 10): got 10');
    result.classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
