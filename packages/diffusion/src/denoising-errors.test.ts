import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { addNoise, denoisingErrors } from './denoising-errors.js';
import { dropClassLabels } from './denoiser.js';
import { MLPDenoiser } from './mlp-denoiser.js';
import { NoiseSchedule } from './noise-schedule.js';
import { standardNormal } from './inputs.js';

const schedule = new NoiseSchedule({ numTimesteps: 100 });
const config = { imageShape: [4, 4, 1] as const, numClasses: 3, hiddenSize: 16, numLayers: 1, timeEmbeddingDim: 8 };

describe('addNoise', () => {
  it('is sqrt(abar_t) x0 + sqrt(1 - abar_t) eps per example (Ho et al. Eq. 4)', async () => {
    const rng = new Rng(1);
    const x0 = standardNormal([2, 4, 4, 1], rng) as tf.Tensor4D;
    const eps = standardNormal([2, 4, 4, 1], rng) as tf.Tensor4D;
    await expectNoLeak(() => {
      const xt = addNoise(schedule, x0, [0, 99], eps);
      const a = x0.dataSync();
      const e = eps.dataSync();
      const expected = Array.from(a, (v, i) => {
        const abar = schedule.alphasCumprod[i < 16 ? 0 : 99]!;
        return Math.sqrt(abar) * v + Math.sqrt(1 - abar) * e[i]!;
      });
      expectClose(xt, expected, { atol: 1e-6, rtol: 1e-5 });
      xt.dispose();
    });
    expect(() => addNoise(schedule, x0, [0], eps)).toThrow('timesteps must have shape [2]: got [1]');
    tf.dispose([x0, eps]);
  });
});

describe('denoisingErrors', () => {
  it('is mean(eps^2) per example for a model that predicts zero', async () => {
    const model = new MLPDenoiser(config); // zero output layer
    const rng = new Rng(2);
    const x0 = standardNormal([3, 4, 4, 1], rng) as tf.Tensor4D;
    const eps = standardNormal([3, 4, 4, 1], rng) as tf.Tensor4D;
    await expectNoLeak(() => {
      const errors = denoisingErrors(model, schedule, x0, [5, 50, 99], eps, [0, 1, 3]);
      expect(errors.shape).toEqual([3]);
      const e = eps.dataSync();
      const expected = [0, 1, 2].map((b) => {
        let sum = 0;
        for (let i = 0; i < 16; i++) sum += e[b * 16 + i]! ** 2;
        return sum / 16;
      });
      expectClose(errors, expected, { atol: 1e-6, rtol: 1e-5 });
      errors.dispose();
    });
    model.dispose();
    tf.dispose([x0, eps]);
  });

  it('matches predictNoise on x_t, accepts tensor inputs, and is differentiable', async () => {
    const model = new MLPDenoiser({ ...config, zeroInitOutput: false });
    const rng = new Rng(3);
    const x0 = standardNormal([2, 4, 4, 1], rng) as tf.Tensor4D;
    const eps = standardNormal([2, 4, 4, 1], rng) as tf.Tensor4D;
    await expectNoLeak(() => {
      tf.tidy(() => {
        const errors = denoisingErrors(
          model,
          schedule,
          x0,
          tf.tensor1d([7, 70], 'int32'),
          eps,
          tf.tensor1d([2, 0], 'int32'),
        );
        const predicted = model.predictNoise(
          addNoise(schedule, x0, [7, 70], eps),
          tf.tensor1d([7, 70]),
          tf.tensor1d([2, 0], 'int32'),
        );
        expectClose(errors, tf.mean(tf.square(tf.sub(eps, predicted)), [1, 2, 3]), { atol: 1e-6, rtol: 1e-5 });
        const { value, grads } = tf.variableGrads(
          () => tf.mean(denoisingErrors(model, schedule, x0, [7, 70], eps, [2, 0])),
          model.trainableVariables(),
        );
        expect(value.dataSync()[0]).toBeGreaterThan(0);
        expect(tf.max(tf.abs(grads[model.trainableVariables()[0]!.name]!)).dataSync()[0]).toBeGreaterThan(0);
      });
    });
    expect(() => denoisingErrors(model, schedule, x0, [1, 2], eps, [4, 0])).toThrow(
      'labels[0] must be an integer in [0, 4): got 4',
    );
    model.dispose();
    tf.dispose([x0, eps]);
  });
});

describe('dropClassLabels', () => {
  it('replaces labels by the null class with the given probability, reproducibly', () => {
    const labels = Array.from({ length: 10000 }, (_, i) => i % 10);
    const dropped = dropClassLabels(labels, 0.1, 10, new Rng(4));
    expect(dropClassLabels(labels, 0.1, 10, new Rng(4))).toEqual(dropped);
    const rate = dropped.filter((l) => l === 10).length / labels.length;
    expect(rate).toBeGreaterThan(0.09);
    expect(rate).toBeLessThan(0.11);
    expect(dropped.every((l, i) => l === 10 || l === labels[i])).toBe(true);
    expect(Array.from(dropClassLabels([1, 2], 0, 10, new Rng(0)))).toEqual([1, 2]);
    expect(Array.from(dropClassLabels([1, 2], 1, 10, new Rng(0)))).toEqual([10, 10]);
  });
});
