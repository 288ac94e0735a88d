import * as tf from '@tensorflow/tfjs-core';
import { AdamWOptimizer, Rng, computeNamedGradients } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { minSnrWeights, textToImageLoss } from './text-to-image-loss.js';

const CAPTIONS = ['red apple', 'blue heart', 'red heart', 'green apple'];

function setup() {
  const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
  const encoder = new CaptionEncoder({ vocabSize: tokenizer.vocabSize, maxLength: 4, dim: 8, layers: 1, heads: 2 });
  const denoiser = new LatentTextDenoiser({
    latentShape: [2, 2, 2],
    textDim: 8,
    channels: 8,
    blocks: 1,
    groups: 4,
    cfgDropProb: 0,
  });
  const schedule = new NoiseSchedule({ numTimesteps: 50 });
  // Each caption has its own clean latent: +1 everywhere for "red", -1 for the others.
  const latents = tf.tensor4d(
    CAPTIONS.flatMap((c) => new Array(8).fill(c.startsWith('red') ? 1 : -1)),
    [4, 2, 2, 2],
  );
  return { tokenizer, encoder, denoiser, schedule, latents, tokenIds: tokenizer.encodeBatch(CAPTIONS, 4) };
}

/**
 * The loss's draws from Rng(seed) replayed (4 timesteps, then 32 noise values, then with
 * `conditionNoise` s > 0 4 x 8 embedding noise values; dropout off) and each example's eps-MSE.
 */
function replayErrors(
  seed: number,
  { encoder, denoiser, schedule, latents, tokenIds }: Omit<ReturnType<typeof setup>, 'tokenizer'>,
  conditionNoise = 0,
): { t: number[]; perExample: number[] } {
  const rng = new Rng(seed);
  const t = Array.from({ length: 4 }, () => rng.int(50));
  const noise = Float32Array.from({ length: 32 }, () => rng.normal());
  const textNoise = Array.from({ length: conditionNoise > 0 ? 32 : 0 }, () => rng.normal());
  const perExample = tf.tidy(() => {
    const pooled = encoder.encode(tokenIds, 4).pooled;
    // By hand: each dimension's biased standard deviation over the 4 captions, times s, times the draw.
    const rows = pooled.arraySync();
    const text = rows.map((row, i) =>
      row.map((value, d) => {
        const column = rows.map((r) => r[d]!);
        const mean = column.reduce((a, b) => a + b, 0) / 4;
        const sd = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
        return value + (conditionNoise > 0 ? conditionNoise * sd * textNoise[i * 8 + d]! : 0);
      }),
    );
    const e = tf.tensor4d(noise, [4, 2, 2, 2]);
    const abar = tf.tensor4d(
      t.map((s) => schedule.alphasCumprod[s]!),
      [4, 1, 1, 1],
    );
    const noisy = tf.add(tf.mul(tf.sqrt(abar), latents), tf.mul(tf.sqrt(tf.sub(1, abar)), e)) as tf.Tensor4D;
    const eps = denoiser.predictNoise(noisy, tf.tensor1d(t), tf.tensor2d(text));
    return Array.from(tf.mean(tf.square(tf.sub(e, eps)), [1, 2, 3]).dataSync());
  });
  return { t, perExample };
}

describe('textToImageLoss', () => {
  it('equals the mean squared noise error computed from the same draws', async () => {
    const { encoder, denoiser, schedule, latents, tokenIds } = setup();
    const loss = await expectNoLeak(() => {
      const value = textToImageLoss(encoder, denoiser, schedule, { latents, tokenIds }, new Rng(7));
      const result = value.dataSync()[0]!;
      value.dispose();
      return result;
    });
    // Replay the draws: 4 timesteps, then 32 noise values (dropout off).
    const { perExample } = replayErrors(7, { encoder, denoiser, schedule, latents, tokenIds });
    const expected = perExample.reduce((sum, mse) => sum + mse, 0) / 4;
    expect(loss).toBeCloseTo(expected, 5);
    tf.dispose([latents]);
    encoder.dispose();
    denoiser.dispose();
  });

  it('with minSnrGamma, weights each example by min(SNR_t, gamma) / SNR_t before the batch mean', async () => {
    const { encoder, denoiser, schedule, latents, tokenIds } = setup();
    const loss = await expectNoLeak(() => {
      const value = textToImageLoss(encoder, denoiser, schedule, { latents, tokenIds }, new Rng(7), {
        minSnrGamma: 0.1,
      });
      const result = value.dataSync()[0]!;
      value.dispose();
      return result;
    });
    const { t, perExample } = replayErrors(7, { encoder, denoiser, schedule, latents, tokenIds });
    const weights = t.map((s) => {
      const snr = schedule.alphasCumprod[s]! / (1 - schedule.alphasCumprod[s]!);
      return Math.min(snr, 0.1) / snr;
    });
    // T = 50 (SNR 1.28, 0.12, 0.027, 0.058 at the drawn t = 11, 22, 28, 25): two weights below 1, two at 1.
    expect(weights.filter((w) => w < 1)).toHaveLength(2);
    expect(loss).toBeCloseTo(perExample.reduce((sum, mse, i) => sum + weights[i]! * mse, 0) / 4, 5);
    expect(() =>
      textToImageLoss(encoder, denoiser, schedule, { latents, tokenIds }, new Rng(7), { minSnrGamma: 0 }),
    ).toThrow(/options\.minSnrGamma/);
    tf.dispose([latents]);
    encoder.dispose();
    denoiser.dispose();
  });

  it('with conditionNoise s, adds s x (per-dimension spread over the batch) x N(0, 1) to the pooled embedding', async () => {
    const { encoder, denoiser, schedule, latents, tokenIds } = setup();
    // Random weights everywhere (the FiLM layers start at zero, which would hide the text).
    let k = 0;
    for (const [, variable] of denoiser.namedVariables())
      tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.3, 'float32', 100 + k++)));
    const lossWith = (options: { conditionNoise?: number }) =>
      expectNoLeak(() => {
        const value = textToImageLoss(encoder, denoiser, schedule, { latents, tokenIds }, new Rng(7), options);
        const result = value.dataSync()[0]!;
        value.dispose();
        return result;
      });
    const noisy = await lossWith({ conditionNoise: 0.5 });
    const { perExample } = replayErrors(7, { encoder, denoiser, schedule, latents, tokenIds }, 0.5);
    expect(noisy).toBeCloseTo(perExample.reduce((sum, mse) => sum + mse, 0) / 4, 5);
    const plain = replayErrors(7, { encoder, denoiser, schedule, latents, tokenIds }).perExample;
    expect(Math.abs(noisy - plain.reduce((sum, mse) => sum + mse, 0) / 4)).toBeGreaterThan(1e-4); // the noise matters
    // s = 0 draws nothing extra: the loss without the option.
    expect(await lossWith({ conditionNoise: 0 })).toBeCloseTo(await lossWith({}), 6);
    expect(() =>
      textToImageLoss(encoder, denoiser, schedule, { latents, tokenIds }, new Rng(7), { conditionNoise: -1 }),
    ).toThrow(/options\.conditionNoise/);
    tf.dispose([latents]);
    encoder.dispose();
    denoiser.dispose();
  });

  it("minSnrWeights: golden values on Ho et al.'s linear schedule (T = 1000, beta 1e-4 to 0.02)", () => {
    const schedule = new NoiseSchedule();
    // By hand from the betas: abar_0 = 1 - 1e-4; abar_1 = abar_0 (1 - (1e-4 + 0.0199 / 999)).
    const abar0 = 1 - 1e-4;
    const abar1 = abar0 * (1 - (1e-4 + 0.0199 / 999));
    const [w0, w1, wLast] = minSnrWeights(schedule, [0, 1, 999], 5);
    expect(w0).toBeCloseTo(5 / (abar0 / (1 - abar0)), 9); // 5 / 9999
    expect(w1).toBeCloseTo(5 / (abar1 / (1 - abar1)), 9);
    expect(wLast).toBe(1); // SNR_999 ~ 4e-5 < 5: full weight
    expect(() => minSnrWeights(schedule, [1000], 5)).toThrow(/timesteps/);
  });

  it('trains the caption encoder and the denoiser together (loss falls)', async () => {
    const { encoder, denoiser, schedule, latents, tokenIds } = setup();
    const variables = new Map<string, tf.Variable>();
    for (const [name, variable] of encoder.namedVariables()) variables.set(`text.${name}`, variable);
    for (const [name, variable] of denoiser.namedVariables()) variables.set(`unet.${name}`, variable);
    const optimizer = new AdamWOptimizer(variables, { learningRate: 1e-2, weightDecay: 0 });
    const rng = new Rng(0);
    const evaluate = () =>
      tf.tidy(() => {
        let total = 0;
        for (let seed = 0; seed < 4; seed++)
          total += textToImageLoss(
            encoder,
            denoiser,
            schedule,
            { latents, tokenIds },
            new Rng(1000 + seed),
          ).dataSync()[0]!;
        return total / 4;
      });
    const before = evaluate();
    for (let step = 0; step < 40; step++) {
      const { value, grads } = computeNamedGradients(
        () => textToImageLoss(encoder, denoiser, schedule, { latents, tokenIds }, rng),
        variables,
      );
      if (step === 0) expect(grads.has('text.tok')).toBe(true); // gradients reach the caption encoder
      optimizer.applyGradients(grads);
      tf.dispose([value, ...grads.values()]);
    }
    expect(evaluate()).toBeLessThan(0.8 * before);
    optimizer.dispose();
    tf.dispose([latents]);
    encoder.dispose();
    denoiser.dispose();
  });
});
