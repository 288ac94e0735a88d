import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { NoiseSchedule, SCHEDULE_COEFFICIENTS } from './noise-schedule.js';

describe('NoiseSchedule, linear', () => {
  it('is Ho et al. at T = 1000: betas 1e-4..0.02 and abar_T ~ 4.0e-5', () => {
    const s = new NoiseSchedule();
    expect(s.betas[0]).toBeCloseTo(1e-4, 15);
    expect(s.betas[999]).toBeCloseTo(0.02, 15);
    expect(s.betas[500]).toBeCloseTo(1e-4 + (0.02 - 1e-4) * (500 / 999), 15);
    // log abar_T = sum log(1 - beta_t), computed independently of the class's running product.
    let logAbar = 0;
    for (let t = 0; t < 1000; t++) logAbar += Math.log1p(-(1e-4 + ((0.02 - 1e-4) * t) / 999));
    expect(s.alphasCumprod[999]).toBeCloseTo(Math.exp(logAbar), 12);
    expect(s.alphasCumprod[999]).toBeGreaterThan(4.0e-5);
    expect(s.alphasCumprod[999]).toBeLessThan(4.1e-5);
  });

  it('scales betas by 1000 / T for short chains (improved-diffusion), or not when asked', () => {
    const scaled = new NoiseSchedule({ numTimesteps: 100 });
    expect(scaled.betas[0]).toBeCloseTo(1e-3, 15);
    expect(scaled.betas[99]).toBeCloseTo(0.2, 15);
    expect(scaled.alphasCumprod[99]).toBeLessThan(1e-4);
    const unscaled = new NoiseSchedule({ numTimesteps: 100, scaleLinearToTimesteps: false });
    expect(unscaled.betas[99]).toBeCloseTo(0.02, 15);
    expect(unscaled.alphasCumprod[99]).toBeGreaterThan(0.3);
  });

  it('posterior coefficients match Ho et al. Eq. 7 and make the posterior mean exact', () => {
    const s = new NoiseSchedule({ numTimesteps: 50 });
    for (const t of [0, 1, 17, 49]) {
      const beta = s.betas[t]!;
      const abar = s.alphasCumprod[t]!;
      const abarPrev = t === 0 ? 1 : s.alphasCumprod[t - 1]!;
      expect(s.posteriorVariance[t]).toBeCloseTo((beta * (1 - abarPrev)) / (1 - abar), 14);
      expect(s.posteriorMeanCoef1[t]).toBeCloseTo((Math.sqrt(abarPrev) * beta) / (1 - abar), 14);
      expect(s.posteriorMeanCoef2[t]).toBeCloseTo((Math.sqrt(1 - beta) * (1 - abarPrev)) / (1 - abar), 14);
      // Identity: with x_t = sqrt(abar) x0 + sqrt(1-abar) eps and x0 = 1, eps = 0 the mean is sqrt(abarPrev).
      const mean = s.posteriorMeanCoef1[t]! + s.posteriorMeanCoef2[t]! * Math.sqrt(abar);
      expect(mean).toBeCloseTo(Math.sqrt(abarPrev), 12);
      expect(s.sqrtRecipAlphasCumprod[t]! ** 2 * abar).toBeCloseTo(1, 12);
      expect(s.sqrtRecipm1AlphasCumprod[t]! ** 2).toBeCloseTo(1 / abar - 1, 10);
    }
    expect(s.posteriorVariance[0]).toBe(0);
    expect(s.posteriorLogVarianceClipped[0]).toBe(Math.log(s.posteriorVariance[1]!));
  });
});

describe('NoiseSchedule, cosine', () => {
  it('follows abar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2), betas clipped at 0.999', () => {
    const T = 100;
    const s = new NoiseSchedule({ type: 'cosine', numTimesteps: T });
    const f = (t: number): number => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const t of [0, 10, 50, 90]) expect(s.alphasCumprod[t]).toBeCloseTo(f(t + 1) / f(0), 12);
    expect(s.betas[T - 1]).toBe(0.999); // 1 - f(T)/f(T-1) = 1: clipped
    expect(Math.max(...s.betas)).toBeLessThanOrEqual(0.999);
    expect(s.betas[0]).toBeCloseTo(1 - f(1) / f(0), 15);
  });
});

describe('NoiseSchedule.coefficient', () => {
  it('gathers per-example values from host arrays and tensors, shaped to broadcast', async () => {
    const s = new NoiseSchedule({ numTimesteps: 50 });
    await expectNoLeak(() => {
      const host = s.coefficient('sqrtAlphasCumprod', [0, 5, 49]);
      expect(host.shape).toEqual([3, 1, 1, 1]);
      expectClose(host, [s.sqrtAlphasCumprod[0]!, s.sqrtAlphasCumprod[5]!, s.sqrtAlphasCumprod[49]!]);
      const t = tf.tensor1d([49, 0], 'int32');
      const fromTensor = s.coefficient('betas', t, 2);
      expect(fromTensor.shape).toEqual([2, 1]);
      expectClose(fromTensor, [s.betas[49]!, s.betas[0]!]);
      tf.dispose([host, t, fromTensor]);
    });
    for (const name of SCHEDULE_COEFFICIENTS) expect(s.table32(name)).toHaveLength(50);
  });

  it('rejects timesteps outside [0, T) and bad configs with named arguments', () => {
    const s = new NoiseSchedule({ numTimesteps: 50 });
    expect(() => s.coefficient('betas', [50])).toThrow('timesteps[0] must be an integer in [0, 50): got 50');
    expect(() => s.coefficient('betas', [1.5])).toThrow(InvalidArgumentError);
    expect(() => new NoiseSchedule({ numTimesteps: 1 })).toThrow('noiseSchedule.numTimesteps');
    expect(() => new NoiseSchedule({ numTimesteps: 10 })).toThrow('scaled betaEnd');
  });
});
