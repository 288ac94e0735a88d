import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { ddpmSample } from './ddpm-sampler.js';
import { MLPDenoiser } from './mlp-denoiser.js';
import { NoiseSchedule } from './noise-schedule.js';
import { standardNormal } from './inputs.js';

const schedule = new NoiseSchedule({ numTimesteps: 30 });
const config = { imageShape: [4, 4, 1] as const, numClasses: 2, hiddenSize: 16, numLayers: 1, timeEmbeddingDim: 8 };

describe('ddpmSample', () => {
  it('follows Ho et al. Algorithm 2 step by step (checked in float64 for a zero-noise-prediction model)', async () => {
    const model = new MLPDenoiser(config); // eps_theta = 0
    const xT = standardNormal([2, 4, 4, 1], new Rng(9)) as tf.Tensor4D;
    const images = await expectNoLeak(() => {
      const out = ddpmSample(model, schedule, {
        labels: [0, 1],
        rng: new Rng(5),
        initialNoise: xT,
        clipDenoised: false,
      });
      const values = Array.from(out.dataSync());
      out.dispose();
      return values;
    });
    // By hand: with eps = 0, x_{t-1} = (1/sqrt(alpha_t)) x_t + sigma_t z (Algorithm 2), z drawn in order.
    const rng = new Rng(5);
    let x = Array.from(xT.dataSync(), Number);
    for (let t = 29; t >= 0; t--) {
      const z = t > 0 ? Array.from({ length: 32 }, () => Math.fround(rng.normal())) : undefined;
      x = x.map(
        (v, i) => v / Math.sqrt(schedule.alphas[t]!) + (z ? Math.sqrt(schedule.posteriorVariance[t]!) * z[i]! : 0),
      );
    }
    expectClose(images, x, { atol: 1e-4, rtol: 1e-4 });
    tf.dispose([xT]);
    model.dispose();
  });

  it('is reproducible from the seed, and guided sampling runs', async () => {
    const model = new MLPDenoiser({ ...config, zeroInitOutput: false });
    await expectNoLeak(() => {
      const a = ddpmSample(model, schedule, { labels: [0, 1, 2], rng: new Rng(1), guidanceScale: 3 });
      const b = ddpmSample(model, schedule, { labels: [0, 1, 2], rng: new Rng(1), guidanceScale: 3 });
      const c = ddpmSample(model, schedule, { labels: [0, 1, 2], rng: new Rng(2), guidanceScale: 3 });
      expect(a.shape).toEqual([3, 4, 4, 1]);
      expectClose(a, b, { atol: 0, rtol: 0 });
      expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
      expect(a.dataSync().every(Number.isFinite)).toBe(true);
      tf.dispose([a, b, c]);
    });
    model.dispose();
  });
});
