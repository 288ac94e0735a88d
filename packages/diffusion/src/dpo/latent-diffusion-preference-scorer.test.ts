import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@dpo-ts/core';
import { disposePairScores } from '@dpo-ts/core/preference';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { NoiseSchedule } from '../noise-schedule.js';
import { DENOISING_ERROR_DETAILS } from './diffusion-preference-scorer.js';
import { LatentDiffusionPreferenceScorer } from './latent-diffusion-preference-scorer.js';
import { buildLatentPreferenceBatch, type LatentPreferenceBatch } from './latent-preference-batch.js';
import { TINY_MAX_LENGTH, disposeTiny, randomLatentPairs, tinyTextToImage } from './tiny-text-to-image.test-helper.js';
import type { TextToImageDPOModel } from './text-to-image-dpo-model.js';

const schedule = new NoiseSchedule({ numTimesteps: 100 });
const model = tinyTextToImage(3);
const attending = tinyTextToImage(3, TINY_MAX_LENGTH); // cross-attention to the caption's tokens
const data = randomLatentPairs(6, 11);
// cfgDropProb 0.5: some pairs are conditioned on the null embedding.
const batch = buildLatentPreferenceBatch(data, [0, 1, 2, 3, 4, 5], {
  seed: 7,
  round: 0,
  numTimesteps: 100,
  cfgDropProb: 0.5,
});
afterAll(() => {
  disposeTiny(model);
  disposeTiny(attending);
});

/**
 * The error of pair i's `side` latent computed one example at a time, apart from the scorer:
 * the caption encoded alone (or the null embedding), z_t built on the host in float64 from abar_t,
 * eps_theta from one predictNoise call, the mean of squares on the host.
 */
function handError(
  b: LatentPreferenceBatch,
  side: 'chosen' | 'rejected',
  i: number,
  scored: TextToImageDPOModel = model,
): number {
  const abar = schedule.alphasCumprod[b.timesteps[i]!]!;
  const z = b[side].subarray(i * 8, (i + 1) * 8);
  const eps = b.noise.subarray(i * 8, (i + 1) * 8);
  const noisy = Float32Array.from(z, (z0, p) => Math.sqrt(abar) * z0 + Math.sqrt(1 - abar) * eps[p]!);
  const predicted = tf.tidy(() => {
    const ids = b.tokenIds.subarray(i * TINY_MAX_LENGTH, (i + 1) * TINY_MAX_LENGTH);
    const encoded = scored.encoder.encode(Int32Array.from(ids), 1);
    const text = b.dropCaption[i] === 1 ? scored.denoiser.nullTexts(1) : scored.denoiser.textCondition(encoded);
    return scored.denoiser
      .predictNoise(tf.tensor4d(noisy, [1, 2, 2, 2]), tf.tensor1d([b.timesteps[i]!]), text)
      .dataSync();
  });
  let sum = 0;
  for (let p = 0; p < 8; p++) sum += (eps[p]! - predicted[p]!) ** 2;
  return sum / 8;
}

describe('LatentDiffusionPreferenceScorer', () => {
  it('draws dropout for some pairs and not others (the test covers both branches)', () => {
    expect(new Set(batch.dropCaption).size).toBe(2);
  });

  it.each([
    ['FiLM only', model],
    ['cross-attention', attending],
  ])(
    "scores each latent by -0.5 * its denoising error at the pair's (t, eps, caption), computed by hand (%s)",
    async (_, scored) => {
      const scorer = new LatentDiffusionPreferenceScorer(scored, schedule);
      await expectNoLeak(() => {
        const scores = scorer.score(batch, { training: true });
        for (const side of ['chosen', 'rejected'] as const) {
          const errors = Array.from({ length: 6 }, (_, i) => handError(batch, side, i, scored));
          expectClose(
            scores[side],
            errors.map((e) => -0.5 * e),
            { atol: 1e-6, rtol: 1e-4 },
          );
          expectClose(scores.details![DENOISING_ERROR_DETAILS[side]]!, errors, { atol: 1e-6, rtol: 1e-4 });
        }
        disposePairScores(scores);
      });
    },
  );

  it('a pair whose two latents are equal gets equal scores (shared t and eps)', () => {
    const same = { ...data, rejected: data.chosen };
    const b = buildLatentPreferenceBatch(same, [0, 1, 2], { seed: 1, round: 0, numTimesteps: 100, cfgDropProb: 0 });
    const scores = new LatentDiffusionPreferenceScorer(model, schedule).score(b, { training: false });
    expectClose(scores.chosen, scores.rejected.dataSync() as Float32Array, { atol: 0, rtol: 0 });
    disposePairScores(scores);
  });

  it('lists the denoiser only as trainable (frozen text encoder), both with trainTextEncoder, none when frozen', () => {
    const denoiserCount = model.denoiser.namedVariables().size;
    const encoderCount = model.encoder.namedVariables().size;
    expect(new LatentDiffusionPreferenceScorer(model, schedule).trainableVariables()).toHaveLength(denoiserCount);
    expect(
      new LatentDiffusionPreferenceScorer(model, schedule, { trainTextEncoder: true }).trainableVariables(),
    ).toHaveLength(denoiserCount + encoderCount);
    expect(new LatentDiffusionPreferenceScorer(model, schedule, { trainable: false }).trainableVariables()).toEqual([]);
    const names = [...new LatentDiffusionPreferenceScorer(model, schedule).namedVariables().keys()];
    expect(names.filter((n) => n.startsWith('text.'))).toHaveLength(encoderCount);
    expect(names.filter((n) => n.startsWith('denoiser.'))).toHaveLength(denoiserCount);
  });

  it('refuses a batch of another latent shape or caption length, naming the argument', () => {
    const scorer = new LatentDiffusionPreferenceScorer(model, schedule);
    expect(() => scorer.score({ ...batch, latentShape: [4, 4, 2] }, { training: false })).toThrow(InvalidArgumentError);
    expect(() => scorer.score({ ...batch, maxLength: 5 }, { training: false })).toThrow(/batch.maxLength/);
  });
});
