import * as tf from '@tensorflow/tfjs-core';
import { Rng, computeNamedGradients } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { ddimSampleFromText, textGuidedNoise } from './text-guidance.js';

const CONFIG = { latentShape: [4, 4, 2] as const, textDim: 6, channels: 8, blocks: 2, groups: 4 };
const made: LatentTextDenoiser[] = [];
function denoiser(seed = 0): LatentTextDenoiser {
  const model = new LatentTextDenoiser({ ...CONFIG, seed });
  // Zero-initialised layers (FiLM, conv2, output) would hide the gradients of what feeds them.
  const rng = new Rng(seed + 100);
  for (const variable of model.namedVariables().values()) {
    tf.tidy(() =>
      variable.assign(
        tf.add(
          variable,
          tf.mul(
            0.1,
            tf.tensor(
              Float32Array.from({ length: variable.size }, () => rng.normal()),
              variable.shape,
            ),
          ),
        ),
      ),
    );
  }
  made.push(model);
  return model;
}
afterEach(() => {
  for (const model of made.splice(0)) model.dispose();
});
function random(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

describe('LatentTextDenoiser', () => {
  it('predicts noise of the latent shape with ~0.40M weights by default', async () => {
    const big = new LatentTextDenoiser();
    // in 2,368 + time MLP 24,832 + text 8,320 + null 64 + 4 blocks x 90,624 + out 2,436
    expect(big.parameterCount()).toBe(400516);
    big.dispose();
    const model = denoiser();
    await expectNoLeak(() => {
      const x = random([3, 4, 4, 2], 1) as tf.Tensor4D;
      const text = random([3, 6], 2) as tf.Tensor2D;
      const eps = model.predictNoise(x, tf.tensor1d([1, 500, 999]), text);
      expect(eps.shape).toEqual([3, 4, 4, 2]);
      tf.dispose([x, text, eps]);
    }, 1); // the tensor1d of timesteps above is the test's own
  });

  it('depends on the caption, and sends gradients to every weight and to the caption', async () => {
    const model = denoiser();
    const x = random([2, 4, 4, 2], 1) as tf.Tensor4D;
    const t = tf.tensor1d([10, 700]);
    const text = tf.variable(random([2, 6], 2)) as tf.Variable<tf.Rank.R2>;
    const [a, b] = tf.tidy(() => [
      model.predictNoise(x, t, text),
      model.predictNoise(x, t, tf.mul(text, -1) as tf.Tensor2D),
    ]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a!, b!))).dataSync()[0])).toBeGreaterThan(1e-3);
    await expectNoLeak(() => {
      const variables = new Map([...model.namedVariables(), ['text', text]]);
      const { value, grads } = computeNamedGradients(
        () => tf.mean(tf.square(model.predictNoise(x, t, text))) as tf.Scalar,
        variables,
      );
      // Every weight but the null embedding, which this forward pass does not use.
      expect([...grads.keys()].sort()).toEqual([...variables.keys()].filter((name) => name !== 'null_text').sort());
      for (const [name, gradient] of grads) {
        expect(
          tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]),
          name,
        ).toBeGreaterThan(0);
      }
      tf.dispose([value, ...grads.values()]);
    });
    tf.dispose([x, t, text, a!, b!]);
  });

  it('drops captions to the null embedding with the given probability', () => {
    const model = denoiser();
    const text = tf.ones([2000, 6]) as tf.Tensor2D;
    const dropped = model.dropCaptions(text, new Rng(3), 0.25);
    const values = dropped.dataSync();
    const nullFirst = model.nullText.dataSync()[0]!;
    let nulls = 0;
    for (let row = 0; row < 2000; row++) if (values[row * 6] === nullFirst) nulls++;
    // Binomial(2000, 0.25): mean 500, std 19.4.
    expect(Math.abs(nulls - 500)).toBeLessThan(80);
    tf.dispose([text, dropped]);
  });
});

describe('textGuidedNoise', () => {
  it('is u + w (c - u), with w = 1 the conditional and w = 0 the unconditional prediction', async () => {
    const model = denoiser();
    const x = random([2, 4, 4, 2], 4) as tf.Tensor4D;
    const t = tf.tensor1d([5, 400]);
    const text = random([2, 6], 5) as tf.Tensor2D;
    const conditional = model.predictNoise(x, t, text);
    const nullTexts = model.nullTexts(2);
    const unconditional = model.predictNoise(x, t, nullTexts);
    await expectNoLeak(() => {
      const [c, u] = [conditional.dataSync(), unconditional.dataSync()];
      for (const w of [0, 1, 2.5]) {
        const guided = textGuidedNoise(model, x, t, text, w);
        guided.dataSync().forEach((value, i) => {
          expect(value).toBeCloseTo(u[i]! + w * (c[i]! - u[i]!), 4);
        });
        guided.dispose();
      }
    });
    tf.dispose([x, t, text, conditional, nullTexts, unconditional]);
  });
});

describe('ddimSampleFromText', () => {
  it('samples latents of the denoiser shape, reproducibly, with per-step log-probs when eta > 0', async () => {
    const model = denoiser();
    const schedule = new NoiseSchedule({ numTimesteps: 100 });
    const text = random([3, 6], 6) as tf.Tensor2D;
    await expectNoLeak(() => {
      const a = ddimSampleFromText(model, schedule, { text, rng: new Rng(1), numSteps: 4, guidanceScale: 2 });
      const b = ddimSampleFromText(model, schedule, { text, rng: new Rng(1), numSteps: 4, guidanceScale: 2 });
      expect(a.latents.shape).toEqual([3, 4, 4, 2]);
      expect(Array.from(a.latents.dataSync())).toEqual(Array.from(b.latents.dataSync()));
      const stochastic = ddimSampleFromText(model, schedule, { text, rng: new Rng(1), numSteps: 4, eta: 1 });
      expect(stochastic.logProbs!.shape).toEqual([3, 4]);
      expect(stochastic.logProbs!.dataSync().every(Number.isFinite)).toBe(true);
      tf.dispose([a.latents, b.latents, stochastic.latents, stochastic.logProbs!]);
    });
    text.dispose();
  });
});
