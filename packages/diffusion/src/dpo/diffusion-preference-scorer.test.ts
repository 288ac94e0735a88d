import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposePairScores } from '@dpo-ts/core/preference';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { buildDiffusionPreferenceBatch } from './diffusion-preference-batch.js';
import { DENOISING_ERROR_DETAILS, DiffusionPreferenceScorer } from './diffusion-preference-scorer.js';
import { independentError, randomPairs, tinyDenoiser, tinySchedule } from './tiny-models.test-helper.js';

describe('DiffusionPreferenceScorer', () => {
  const model = tinyDenoiser(1);
  const schedule = tinySchedule();
  const batch = buildDiffusionPreferenceBatch(randomPairs(5, 4), [0, 1, 2, 3, 4], {
    seed: 3,
    round: 0,
    numTimesteps: 100,
    cfgDropProb: 0.4,
    nullClass: 3,
  });
  afterAll(() => model.dispose());

  it("scores each image by -0.5 * its denoising error at the pair's (t, eps), computed independently", async () => {
    const scorer = new DiffusionPreferenceScorer(model, schedule);
    await expectNoLeak(() => {
      const scores = scorer.score(batch, { training: true });
      const expected = (side: 'chosen' | 'rejected'): number[] =>
        Array.from(
          { length: 5 },
          (_, i) =>
            -0.5 *
            independentError(
              model,
              schedule,
              batch[side].subarray(i * 16, (i + 1) * 16),
              batch.noise.subarray(i * 16, (i + 1) * 16),
              batch.timesteps[i]!,
              batch.labels[i]!,
            ),
        );
      expectClose(scores.chosen, expected('chosen'), { atol: 1e-6, rtol: 1e-4 });
      expectClose(scores.rejected, expected('rejected'), { atol: 1e-6, rtol: 1e-4 });
      disposePairScores(scores);
    });
  });

  it('feeds chosen and rejected the same timestep, noise and label, in one forward pass', () => {
    const calls: { t: number[]; labels: number[]; noisy: Float32Array }[] = [];
    const spy = Object.create(model) as typeof model;
    spy.predictNoise = (noisy, t, labels) => {
      calls.push({
        t: Array.from(t.dataSync()),
        labels: Array.from(labels.dataSync()),
        noisy: noisy.dataSync() as Float32Array,
      });
      return model.predictNoise(noisy, t, labels);
    };
    const scores = new DiffusionPreferenceScorer(spy, schedule).score(batch, { training: false });
    disposePairScores(scores);
    expect(calls).toHaveLength(1);
    const { t, labels, noisy } = calls[0]!;
    expect(t).toEqual([...batch.timesteps, ...batch.timesteps]);
    expect(labels).toEqual([...batch.labels, ...batch.labels]);
    for (let i = 0; i < 5; i++) {
      const abar = schedule.alphasCumprod[batch.timesteps[i]!]!;
      for (let p = 0; p < 16; p++) {
        // eps recovered from each side's x_t is the pair's one noise
        const fromChosen = (noisy[i * 16 + p]! - Math.sqrt(abar) * batch.chosen[i * 16 + p]!) / Math.sqrt(1 - abar);
        const fromRejected =
          (noisy[(i + 5) * 16 + p]! - Math.sqrt(abar) * batch.rejected[i * 16 + p]!) / Math.sqrt(1 - abar);
        expect(fromChosen).toBeCloseTo(batch.noise[i * 16 + p]!, 3);
        expect(fromRejected).toBeCloseTo(batch.noise[i * 16 + p]!, 3);
      }
    }
  });

  it('is differentiable in the denoiser weights, and a frozen scorer lists no trainable variables', () => {
    const scorer = new DiffusionPreferenceScorer(model, schedule);
    const { value, grads } = tf.variableGrads(() => {
      const s = scorer.score(batch, { training: true });
      return tf.sum(tf.sub(s.chosen, s.rejected)) as tf.Scalar;
    }, scorer.trainableVariables());
    expect(Object.keys(grads).length).toBe(model.trainableVariables().length);
    const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
    expect(norm).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(new DiffusionPreferenceScorer(model, schedule, { trainable: false }).trainableVariables()).toEqual([]);
  });

  it('carries the per-pair errors with the scores: score = -scale * mse', async () => {
    const scorer = new DiffusionPreferenceScorer(model, schedule, { scale: 2 });
    await expectNoLeak(async () => {
      const scores = scorer.score(batch, { training: true });
      const chosenErrors = scores.details![DENOISING_ERROR_DETAILS.chosen]!;
      const rejectedErrors = scores.details![DENOISING_ERROR_DETAILS.rejected]!;
      const [expectedChosen, expectedRejected] = [tf.div(scores.chosen, -2), tf.div(scores.rejected, -2)];
      expectClose(chosenErrors, expectedChosen, { atol: 1e-6 });
      expectClose(rejectedErrors, expectedRejected, { atol: 1e-6 });
      expect(chosenErrors.shape).toEqual([batch.numPairs]);
      disposePairScores(scores);
      tf.dispose([expectedChosen, expectedRejected]);
    });
  });

  it('rejects a batch of another image shape and a non-positive scale', () => {
    const scorer = new DiffusionPreferenceScorer(model, schedule);
    expect(() => scorer.score({ ...batch, imageShape: [2, 8, 1] }, { training: false })).toThrow(
      'batch.imageShape must be [4, 4, 1]',
    );
    expect(() => new DiffusionPreferenceScorer(model, schedule, { scale: 0 })).toThrow('options.scale');
  });
});
