import * as tf from '@tensorflow/tfjs-core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { ddimSample, MLPDenoiser, NoiseSchedule, type ImageReward } from '@dpo-ts/diffusion';
import { afterAll, describe, expect, it } from 'vitest';
import { collectDDPORollout, type DDPORolloutOptions } from './ddpo-rollout.js';

// Workers load the packages' dist/: this test needs `npm run build` first (CI builds before testing).
const schedule = new NoiseSchedule({ numTimesteps: 100 });
const model = new MLPDenoiser({
  imageShape: [4, 4, 1],
  numClasses: 3,
  hiddenSize: 16,
  numLayers: 1,
  timeEmbeddingDim: 8,
  zeroInitOutput: false,
  seed: 3,
});
afterAll(() => model.dispose());
/** Mean brightness of the image. */
const brightness: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return data.reduce((a, b) => a + b, 0) / data.length;
};
const options: DDPORolloutOptions = {
  conditions: [0, 1, 2, 0, 1, 2, 0],
  reward: brightness,
  seed: 17,
  numSteps: 4,
  eta: 1,
  guidanceScale: 2,
  sampleBatchSize: 3,
};

describe('collectDDPORollout on worker threads', () => {
  it('gives the same trajectories, log-probs and rewards with 1 and 2 workers as the sampler calls it makes', async () => {
    const one = await expectNoLeak(() => collectDDPORollout(model, schedule, { ...options, workers: 1 }));
    const two = await expectNoLeak(() => collectDDPORollout(model, schedule, { ...options, workers: 2 }));
    expect(two).toEqual(one);
    // Call 1 (trajectories 3-5) is ddimSample seeded mixSeeds(seed, 1): check its last trajectory.
    const direct = ddimSample(model, schedule, {
      labels: [0, 1, 2],
      rng: new Rng(mixSeeds(17, 1)),
      numSteps: 4,
      eta: 1,
      guidanceScale: 2,
      returnLatents: true,
    });
    const P = 16;
    const latent2 = direct.latents![2]!.dataSync().slice(2 * P, 3 * P); // step 2 of the call's third image
    expect(Array.from(one.latents.subarray((5 * 5 + 2) * P, (5 * 5 + 3) * P))).toEqual(Array.from(latent2));
    expect(Array.from(one.logProbs.subarray(5 * 4, 6 * 4))).toEqual(
      Array.from(direct.logProbs!.dataSync().slice(2 * 4, 3 * 4)),
    );
    const image = direct.images.dataSync().slice(2 * P, 3 * P);
    expect(one.rewards[5]).toBeCloseTo(Array.from(image).reduce((a, b) => a + b, 0) / P, 6);
    tf.dispose([direct.images, ...direct.latents!, direct.logProbs!]);
    expect(one.timesteps).toEqual([76, 51, 26, 1]);
  });
});
