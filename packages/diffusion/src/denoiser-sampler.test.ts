import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ddpmSample } from './ddpm-sampler.js';
import { sampleDenoiserTasks, type DenoiserSamplingTask } from './denoiser-sampler.js';
import { MLPDenoiser } from './mlp-denoiser.js';
import { NoiseSchedule } from './noise-schedule.js';

// Workers load the packages' dist/: this test needs `npm run build` first (CI builds before testing).
const schedule = new NoiseSchedule({ numTimesteps: 30 });
const model = new MLPDenoiser({ imageShape: [3, 3, 1], numClasses: 2, hiddenSize: 8, numLayers: 1, seed: 5 });
afterAll(() => model.dispose());

describe('sampleDenoiserTasks', () => {
  it('DDPM and DDIM tasks: the same images with 1 and 2 workers, equal to a direct sampler call, in task order', async () => {
    const tasks: DenoiserSamplingTask[] = [
      { method: 'ddpm', labels: [0, 1], seed: 4, guidanceScale: 1.5 },
      { method: 'ddim', labels: [1], seed: 5, numSteps: 4, eta: 0.5, returnLatents: true },
      { method: 'ddpm', labels: [2, 0, 1], seed: 6 },
    ];
    const one = await expectNoLeak(() => sampleDenoiserTasks(model, schedule, tasks, 1));
    const two = await expectNoLeak(() => sampleDenoiserTasks(model, schedule, tasks, 2));
    expect(two).toEqual(one);
    expect(one.map((r) => r.images.length)).toEqual([18, 9, 27]);
    expect(one[1]!.latents).toHaveLength(5 * 9);
    expect(one[1]!.logProbs).toHaveLength(4);
    const direct = ddpmSample(model, schedule, { labels: [2, 0, 1], rng: new Rng(6) });
    expect(Array.from(one[2]!.images)).toEqual(Array.from(direct.dataSync()));
    tf.dispose(direct);
  });
});
