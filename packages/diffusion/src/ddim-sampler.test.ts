import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { ddimSample } from './ddim-sampler.js';
import { ddimStepLogProb, ddimTimesteps } from './ddim-step.js';
import { ddimInvert } from './ddim-inversion.js';
import { MLPDenoiser } from './mlp-denoiser.js';
import { NoiseSchedule } from './noise-schedule.js';
import { standardNormal } from './inputs.js';

const schedule = new NoiseSchedule({ numTimesteps: 100 });
const config = {
  imageShape: [4, 4, 1] as const,
  numClasses: 2,
  hiddenSize: 16,
  numLayers: 1,
  timeEmbeddingDim: 8,
  zeroInitOutput: false,
};

describe('ddimTimesteps', () => {
  it("uses diffusers' leading spacing with steps offset (Stable Diffusion: 981 ... 1)", () => {
    const sd = ddimTimesteps(new NoiseSchedule(), 50);
    expect(sd.timesteps[0]).toBe(981);
    expect(sd.timesteps.at(-1)).toBe(1);
    expect(sd.prevTimesteps[0]).toBe(961);
    expect(sd.prevTimesteps.at(-1)).toBe(-1);
    expect(ddimTimesteps(schedule, 4, 0)).toEqual({ timesteps: [75, 50, 25, 0], prevTimesteps: [50, 25, 0, -1] });
    expect(() => ddimTimesteps(schedule, 100)).toThrow('stepsOffset must be small enough');
  });
});

describe('ddimSample', () => {
  it('is deterministic at eta = 0: the result depends on the initial noise only', async () => {
    const model = new MLPDenoiser(config);
    const xT = standardNormal([2, 4, 4, 1], new Rng(3)) as tf.Tensor4D;
    await expectNoLeak(() => {
      const a = ddimSample(model, schedule, { labels: [0, 1], rng: new Rng(1), numSteps: 10, initialNoise: xT });
      const b = ddimSample(model, schedule, { labels: [0, 1], rng: new Rng(2), numSteps: 10, initialNoise: xT });
      expectClose(a.images, b.images, { atol: 0, rtol: 0 });
      expect(a.logProbs).toBeUndefined();
      expect(a.timesteps).toEqual([91, 81, 71, 61, 51, 41, 31, 21, 11, 1]);
      tf.dispose([a.images, b.images]);
    });
    xT.dispose();
    model.dispose();
  });

  it('scales x by sqrt(abar_end / abar_start) when eps_theta = 0 (Song et al. Eq. 12 by hand)', async () => {
    const model = new MLPDenoiser({ ...config, zeroInitOutput: true });
    const xT = standardNormal([1, 4, 4, 1], new Rng(4)) as tf.Tensor4D;
    await expectNoLeak(() => {
      const { images } = ddimSample(model, schedule, {
        labels: [0],
        rng: new Rng(1),
        numSteps: 5,
        initialNoise: xT,
        clipDenoised: false,
      });
      const factor = Math.sqrt(schedule.alphasCumprod[0]! / schedule.alphasCumprod[81]!);
      expectClose(
        images,
        Array.from(xT.dataSync(), (v) => v * factor),
        { atol: 1e-5, rtol: 1e-5 },
      );
      images.dispose();
    });
    xT.dispose();
    model.dispose();
  });

  it('inverts: DDIM encoding then eta = 0 decoding recovers the images, error shrinking with the step count', async () => {
    const model = new MLPDenoiser({ ...config, seed: 11 });
    // A fixed, smooth model: DDIM inversion is first order, its error is ~ (Lipschitz const.) / S.
    // (the input skip off, the output layer scaled down).
    for (const [name, factor] of [
      ['out.kernel', 0.2],
      ['skip.kernel', 0],
      ['skip.bias', 0],
    ] as const) {
      const weight = model.namedVariables().get(name)!;
      tf.tidy(() => weight.assign(tf.mul(weight, factor)));
    }
    const images = tf.tidy(() => tf.tanh(standardNormal([2, 4, 4, 1], new Rng(6)))) as tf.Tensor4D;
    const roundTripError = (numSteps: number, stepsOffset: number): number => {
      const options = { labels: [1, 0], numSteps, stepsOffset };
      const latent = ddimInvert(model, schedule, images, options);
      const decoded = ddimSample(model, schedule, {
        ...options,
        rng: new Rng(0),
        initialNoise: latent,
        clipDenoised: false,
      });
      const error = tf.tidy(() => tf.max(tf.abs(tf.sub(decoded.images, images))).dataSync()[0]!);
      // The latent is noise-like: far from the images.
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(latent, images))).dataSync()[0]!)).toBeGreaterThan(0.5);
      tf.dispose([latent, decoded.images]);
      return error;
    };
    await expectNoLeak(() => {
      const coarse = roundTripError(25, 1);
      const medium = roundTripError(50, 1);
      const fine = roundTripError(100, 0);
      expect(fine).toBeLessThan(0.02);
      expect(medium).toBeLessThan(0.75 * coarse);
      expect(fine).toBeLessThan(0.75 * medium);
    });
    images.dispose();
    model.dispose();
  });
});

describe('DDIM step log-probabilities (eta > 0)', () => {
  it('equal the Gaussian density computed by hand in float64, averaged over pixels', async () => {
    const model = new MLPDenoiser(config);
    const labels = [0, 2];
    await expectNoLeak(() => {
      const result = ddimSample(model, schedule, {
        labels,
        rng: new Rng(8),
        numSteps: 4,
        eta: 1,
        returnLatents: true,
        guidanceScale: 2,
      });
      const latents = result.latents!;
      expect(latents).toHaveLength(5);
      expect(result.logProbs!.shape).toEqual([2, 4]);
      const sampled = result.logProbs!.arraySync();
      for (const step of [0, 3]) {
        const t = result.timesteps[step]!;
        const prev = result.prevTimesteps[step]!;
        const abar = schedule.alphasCumprod[t]!;
        const abarPrev = prev === -1 ? schedule.alphasCumprod[0]! : schedule.alphasCumprod[prev]!;
        const sigma = Math.sqrt(((1 - abarPrev) / (1 - abar)) * (1 - abar / abarPrev));
        const eps = tf.tidy(() => {
          const x = latents[step]!;
          const tt = tf.tensor1d([t, t]);
          const cond = model.predictNoise(x, tt, tf.tensor1d(labels, 'int32'));
          const uncond = model.predictNoise(x, tt, tf.tensor1d([2, 2], 'int32'));
          return Array.from(tf.add(uncond, tf.mul(2, tf.sub(cond, uncond))).dataSync(), Number);
        });
        const x = Array.from(latents[step]!.dataSync(), Number);
        const next = Array.from(latents[step + 1]!.dataSync(), Number);
        for (let b = 0; b < 2; b++) {
          let sum = 0;
          for (let i = b * 16; i < (b + 1) * 16; i++) {
            const x0 = Math.min(1, Math.max(-1, (x[i]! - Math.sqrt(1 - abar) * eps[i]!) / Math.sqrt(abar)));
            const mean = Math.sqrt(abarPrev) * x0 + Math.sqrt(1 - abarPrev - sigma ** 2) * eps[i]!;
            sum += -((next[i]! - mean) ** 2) / (2 * sigma ** 2) - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
          }
          expect(sampled[b]![step]).toBeCloseTo(sum / 16, 3);
        }
        // Recomputed under the same weights: the PPO ratio starts at exactly 1.
        const recomputed = ddimStepLogProb(
          model,
          schedule,
          {
            noisyImages: latents[step]!,
            previousImages: latents[step + 1]!,
            timesteps: [t, t],
            prevTimesteps: [prev, prev],
            labels,
          },
          { eta: 1, guidanceScale: 2 },
        );
        expectClose(recomputed, [sampled[0]![step]!, sampled[1]![step]!], { atol: 1e-4, rtol: 1e-5 });
        recomputed.dispose();
      }
      tf.dispose([result.images, result.logProbs!, ...latents]);
    });
    model.dispose();
  });

  it('are differentiable with respect to the weights, per example at different timesteps', async () => {
    const model = new MLPDenoiser(config);
    const rng = new Rng(2);
    const x = standardNormal([2, 4, 4, 1], rng) as tf.Tensor4D;
    const xPrev = standardNormal([2, 4, 4, 1], rng) as tf.Tensor4D;
    await expectNoLeak(() => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.sum(
              ddimStepLogProb(
                model,
                schedule,
                { noisyImages: x, previousImages: xPrev, timesteps: [61, 1], prevTimesteps: [41, -1], labels: [1, 0] },
                { eta: 1 },
              ),
            ),
          model.trainableVariables(),
        );
        expect(Number.isFinite(value.dataSync()[0])).toBe(true);
        const norms = Object.values(grads).map((g) => tf.sum(tf.abs(g)).dataSync()[0]!);
        expect(norms.every(Number.isFinite)).toBe(true);
        expect(Math.max(...norms)).toBeGreaterThan(0);
      });
    });
    expect(() =>
      ddimStepLogProb(
        model,
        schedule,
        { noisyImages: x, previousImages: xPrev, timesteps: [1, 1], prevTimesteps: [-1, -1], labels: [0, 0] },
        { eta: 1, setAlphaToOne: true },
      ),
    ).toThrow('sigma[0] must be > 0');
    const before = tf.memory().numTensors;
    expect(() =>
      ddimSample(model, schedule, { labels: [0], rng: new Rng(0), numSteps: 4, eta: 1, setAlphaToOne: true }),
    ).toThrow('sigma[0] must be > 0');
    expect(tf.memory().numTensors).toBe(before);
    expect(() =>
      ddimStepLogProb(model, schedule, {
        noisyImages: x,
        previousImages: xPrev,
        timesteps: [1, 1],
        prevTimesteps: [-1, -1],
        labels: [0, 0],
      }),
    ).toThrow('eta must be a finite number > 0');
    tf.dispose([x, xPrev]);
    model.dispose();
  });
});
