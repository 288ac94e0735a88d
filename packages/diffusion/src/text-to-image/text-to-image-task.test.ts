import * as tf from '@tensorflow/tfjs-core';
import { Rng, accumulateGradients, computeNamedGradients } from '@dpo-ts/core/training';
import { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { textToImageVariables } from './text-to-image-checkpoint.js';
import { textToImageLoss } from './text-to-image-loss.js';
import {
  createTextToImageTask,
  type TextToImageMicroBatch,
  type TextToImageTaskConfig,
  textToImageTaskSpec,
} from './text-to-image-task.js';

// Workers import '@dpo-ts/diffusion' from dist/: this test needs `npm run build` first (CI builds before testing).
const CAPTIONS = ['red apple', 'blue heart', 'red heart', 'green apple', 'blue apple'];

function setup() {
  const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
  const encoder = new CaptionEncoder({ vocabSize: tokenizer.vocabSize, maxLength: 4, dim: 8, layers: 1, heads: 2 });
  const denoiser = new LatentTextDenoiser({ latentShape: [2, 2, 2], textDim: 8, channels: 8, blocks: 1, groups: 4 });
  const schedule = new NoiseSchedule({ numTimesteps: 50 });
  const rng = new Rng(3);
  // Three micro-batches of 2, 2 and 1 examples (a step of 5).
  const batches: TextToImageMicroBatch[] = [[0, 1], [2, 3], [4]].map((indices, k) => ({
    latents: Float32Array.from({ length: indices.length * 8 }, () => rng.normal()),
    tokenIds: tokenizer.encodeBatch(
      indices.map((i) => CAPTIONS[i]!),
      4,
    ),
    numExamples: indices.length,
    seed: 100 + k,
  }));
  return { encoder, denoiser, schedule, batches };
}

describe('createTextToImageTask', () => {
  it("2 workers give the sum of each micro-batch's textToImageLoss gradient weighted by its share, and leak nothing", async () => {
    const { encoder, denoiser, schedule, batches } = setup();
    const variables = textToImageVariables({ encoder, denoiser });
    const total = 5;
    // Written out: sum_k (n_k / N) grad mean_k(e - eps)^2, with each micro-batch's draws from Rng(seed_k).
    const expected = new Map<string, tf.Tensor>();
    const expectedLosses: number[] = [];
    for (const batch of batches) {
      const { value, grads } = computeNamedGradients(() => {
        const latents = tf.tensor4d(batch.latents, [batch.numExamples, 2, 2, 2]);
        const mse = textToImageLoss(
          encoder,
          denoiser,
          schedule,
          { latents, tokenIds: batch.tokenIds },
          new Rng(batch.seed),
        );
        return tf.mul(mse, batch.numExamples / total) as tf.Scalar;
      }, variables);
      expectedLosses.push(value.dataSync()[0]!);
      value.dispose();
      accumulateGradients(expected, grads);
    }
    const config: TextToImageTaskConfig = {
      encoder: encoder.config,
      denoiser: denoiser.config,
      schedule: schedule.config,
    };
    const pool = await GradientWorkerPool.create<TextToImageMicroBatch>({
      task: textToImageTaskSpec(config),
      parameters: variables,
      workers: 2,
    });
    try {
      const result = await expectNoLeak(
        () => pool.computeGradients(batches, { step: { totalExamples: total } }),
        expected.size,
      );
      expect([...result.grads.keys()].sort()).toEqual([...expected.keys()].sort());
      expect(expected.size).toBe(variables.size);
      for (const [name, gradient] of expected)
        expectClose(result.grads.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 });
      result.microBatches.forEach((micro, k) => {
        expect(micro.loss).toBeCloseTo(expectedLosses[k]!, 5);
        // The metric is the micro-batch's own mean; the loss is its share of the step's mean.
        expect(micro.loss).toBeCloseTo((micro.metrics.mse! * batches[k]!.numExamples) / total, 5);
      });
      // An untrained epsilon-predictor's error is about the noise variance, 1.
      const stepLoss = result.microBatches.reduce((sum, micro) => sum + micro.loss, 0);
      expect(stepLoss).toBeGreaterThan(0.3);
      expect(stepLoss).toBeLessThan(3);
      tf.dispose([...result.grads.values()]);
      // The main-thread task on the trainer's own models gives the same micro-batch loss.
      const local = createTextToImageTask(config, { encoder, denoiser, schedule });
      const loss = tf.tidy(
        () =>
          local
            .lossAndMetrics(batches[1]!, {
              stepIndex: 0,
              microBatchIndex: 1,
              microBatchCount: 3,
              step: { totalExamples: total },
            })
            .loss.dataSync()[0]!,
      );
      expect(loss).toBeCloseTo(expectedLosses[1]!, 6);
      local.dispose!();
      expect(encoder.parameterCount() + denoiser.parameterCount()).toBeGreaterThan(0); // not freed by the task
    } finally {
      await pool.close();
      tf.dispose([...expected.values()]);
      encoder.dispose();
      denoiser.dispose();
    }
  });

  it("passes config.loss to the loss: a worker-built task's min-SNR loss is textToImageLoss with that option", async () => {
    const { encoder, denoiser, schedule, batches } = setup();
    const batch = batches[0]!;
    const config: TextToImageTaskConfig = {
      encoder: encoder.config,
      denoiser: denoiser.config,
      schedule: schedule.config,
      loss: { minSnrGamma: 0.1 },
    };
    // A replica built from the JSON config alone (as in a worker), with the main model's weights.
    const replica = createTextToImageTask(config);
    const weights = textToImageVariables({ encoder, denoiser });
    for (const [name, variable] of replica.namedVariables) variable.assign(weights.get(name)!);
    const context = { stepIndex: 0, microBatchIndex: 0, microBatchCount: 1, step: null };
    const [weighted, plain, expected] = tf.tidy(() => {
      const latents = tf.tensor4d(batch.latents, [2, 2, 2, 2]);
      const tokens = { latents, tokenIds: batch.tokenIds };
      return [
        replica.lossAndMetrics(batch, context).loss.dataSync()[0]!,
        createTextToImageTask({ ...config, loss: {} }, { encoder, denoiser, schedule })
          .lossAndMetrics(batch, context)
          .loss.dataSync()[0]!,
        textToImageLoss(encoder, denoiser, schedule, tokens, new Rng(batch.seed), { minSnrGamma: 0.1 }).dataSync()[0]!,
      ];
    });
    expect(weighted).toBeCloseTo(expected, 6);
    expect(Math.abs(weighted - plain)).toBeGreaterThan(1e-4); // the option changed the loss
    replica.dispose!();
    encoder.dispose();
    denoiser.dispose();
  });

  it('names the argument when a micro-batch has the wrong number of latent values', () => {
    const { encoder, denoiser, schedule, batches } = setup();
    const task = createTextToImageTask(
      { encoder: encoder.config, denoiser: denoiser.config, schedule: schedule.config },
      { encoder, denoiser, schedule },
    );
    const bad = { ...batches[0]!, latents: new Float32Array(15) };
    expect(() =>
      task.lossAndMetrics(bad, { stepIndex: 0, microBatchIndex: 0, microBatchCount: 1, step: null }),
    ).toThrow(/batch\.latents.*2 x 8 values.*15/);
    encoder.dispose();
    denoiser.dispose();
  });
});
