import * as tf from '@tensorflow/tfjs-core';
import { accumulateGradients, computeNamedGradients, Rng } from '@dpo-ts/core/training';
import { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import type { ImageDataset } from '../data/image-dataset.js';
import { denoisingErrors } from '../denoising-errors.js';
import { tinyDenoiser, tinySchedule } from '../dpo/tiny-models.test-helper.js';
import { buildDenoisingBatch, type DenoisingBatch } from './denoising-batch.js';
import { createDenoiserSFTTask, denoiserSFTTaskSpec, type DenoiserSFTTaskConfig } from './denoiser-sft-task.js';

// Workers import '@dpo-ts/diffusion' from dist/: these tests need `npm run build` first (CI builds before testing).
function dataset(count: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  return {
    images: Float32Array.from({ length: count * 16 }, () => rng.uniform() * 2 - 1),
    labels: Int32Array.from({ length: count }, (_, i) => i % 3),
    count,
    imageShape: [4, 4, 1],
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
  };
}

describe('createDenoiserSFTTask', () => {
  it("2 workers give DiffusionSFTTrainer's single-thread gradient of L_simple (MLP denoiser), and leak nothing", async () => {
    const model = tinyDenoiser(3);
    const schedule = tinySchedule();
    const data = dataset(10, 1);
    const draws = {
      seed: 5,
      round: 1,
      numTimesteps: schedule.numTimesteps,
      cfgDropProb: 0.2,
      nullClass: model.nullClass,
    };
    const batches: DenoisingBatch[] = [
      [0, 1, 2],
      [3, 4],
      [5, 6, 7],
      [8, 9],
    ].map((indices) => buildDenoisingBatch(data, indices, draws));
    const total = 10;
    // The trainer's accumulation, written out: sum_k grad(sum(errors_k) / total).
    const expected = new Map<string, tf.Tensor>();
    for (const batch of batches) {
      const { value, grads } = computeNamedGradients(() => {
        const images = tf.tensor4d(batch.images, [batch.numExamples, 4, 4, 1]);
        const noise = tf.tensor4d(batch.noise, [batch.numExamples, 4, 4, 1]);
        return tf.div(
          tf.sum(denoisingErrors(model, schedule, images, batch.timesteps, noise, batch.labels)),
          total,
        ) as tf.Scalar;
      }, model.namedVariables());
      value.dispose();
      accumulateGradients(expected, grads);
    }
    const config: DenoiserSFTTaskConfig = { kind: model.kind, denoiser: model.config, schedule: schedule.config };
    const pool = await GradientWorkerPool.create<DenoisingBatch>({
      task: denoiserSFTTaskSpec(config),
      parameters: model.namedVariables(),
      workers: 2,
    });
    try {
      const result = await expectNoLeak(
        () => pool.computeGradients(batches, { step: { totalExamples: total } }),
        expected.size,
      );
      expect([...result.grads.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [name, gradient] of expected)
        expectClose(result.grads.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 });
      const errorSum = result.microBatches.reduce((sum, m) => sum + m.metrics.error_sum!, 0);
      expect(result.microBatches.reduce((sum, m) => sum + m.loss, 0)).toBeCloseTo(errorSum / total, 5);
      // An untrained epsilon-predictor's error is about the noise variance, 1.
      expect(errorSum / total).toBeGreaterThan(0.3);
      expect(errorSum / total).toBeLessThan(3);
      tf.dispose([...result.grads.values()]);
      // The main-thread task on the trainer's own model gives the same micro-batch losses.
      const local = createDenoiserSFTTask(config, model, schedule);
      const loss = tf.tidy(
        () =>
          local
            .lossAndMetrics(batches[2]!, {
              stepIndex: 0,
              microBatchIndex: 2,
              microBatchCount: 4,
              step: { totalExamples: total },
            })
            .loss.dataSync()[0]!,
      );
      expect(loss).toBeCloseTo(result.microBatches[2]!.loss, 6);
      local.dispose!();
      expect(model.parameterCount()).toBeGreaterThan(0); // the task did not free the trainer's model
    } finally {
      await pool.close();
      tf.dispose([...expected.values()]);
      model.dispose();
    }
  });
});
