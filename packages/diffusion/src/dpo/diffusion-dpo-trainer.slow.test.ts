import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend } from '@dpo-ts/core/backend';
import type { ImageDataset } from '../data/image-dataset.js';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import { MLPDenoiser } from '../mlp-denoiser.js';
import { NoiseSchedule } from '../noise-schedule.js';
import { compareRewards } from '../pairs/reward-comparison.js';
import { samplePreferencePairs } from '../pairs/sample-preference-pairs.js';
import type { ImageReward } from '../rewards/image-reward.js';
import { DiffusionSFTTrainer } from '../sft/diffusion-sft-trainer.js';
import { DiffusionDPOTrainer } from './diffusion-dpo-trainer.js';
import { subsetImagePreferences } from './image-preference-dataset.js';

/**
 * 8x8 bars: class 0 horizontal, class 1 vertical, 1 to 4 pixels thick at a random offset.
 * A base model learns every thickness; the reward prefers thin bars (less ink, as JPEG
 * compressibility does on MNIST), so Diffusion-DPO should make bars thinner.
 */
function bars(count: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const images = new Float32Array(count * 64).fill(-1);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const thickness = 1 + rng.int(4);
    const offset = rng.int(9 - thickness);
    labels[i] = label;
    for (let a = 0; a < 8; a++) {
      for (let b = offset; b < offset + thickness; b++) images[i * 64 + (label === 0 ? b * 8 + a : a * 8 + b)] = 1;
    }
  }
  return { images, labels, count, imageShape: [8, 8, 1], numClasses: 2, classNames: ['horizontal', 'vertical'] };
}

/** Minus the mean brightness in [0, 1]: thin bars score higher. */
const lessInk: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return -data.reduce((a, v) => a + (v + 1) / 2, 0) / data.length;
};

describe('DiffusionDPOTrainer learns (wasm)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('raises held-out implicit accuracy above 0.5 and moves the sampled reward the preferred way', async () => {
    const schedule = new NoiseSchedule({ numTimesteps: 200 });
    const base = new MLPDenoiser({ imageShape: [8, 8, 1], numClasses: 2, hiddenSize: 128, numLayers: 2, seed: 1 });
    const sft = await DiffusionSFTTrainer.create({
      model: base,
      schedule,
      trainDataset: bars(4000, 2),
      config: { totalSteps: 1500, learningRate: 2e-3, lrSchedule: 'cosine', warmupSteps: 50, seed: 3 },
    });
    await sft.train({ progress: false });
    sft.dispose();

    const sampled = await samplePreferencePairs(base, schedule, {
      conditions: Array.from({ length: 8000 }, (_, i) => i % 2),
      reward: lessInk,
      seed: 4,
      numSteps: 20,
      batchSize: 400,
    });
    const order = Array.from({ length: sampled.pairs.count }, (_, i) => i);
    const evalDataset = subsetImagePreferences(sampled.pairs, order.slice(0, 200));
    const trainDataset = subsetImagePreferences(sampled.pairs, order.slice(200));

    const policy = cloneDenoiser(base);
    const trainer = await DiffusionDPOTrainer.create({
      model: policy,
      referenceModel: base,
      schedule,
      trainDataset,
      evalDataset,
      // ~0.5 epoch: with fresh on-policy pairs the reward rises early; many epochs over few pairs over-optimise.
      config: { totalSteps: 120, perDeviceTrainBatchSize: 32, learningRate: 3e-5, seed: 5 },
    });
    const before = await trainer.evaluate();
    await trainer.train({ progress: false });
    const after = await trainer.evaluate();
    expect(before[evalKey(METRIC_NAMES.rewardsAccuracies)]).toBe(0); // policy = reference: every margin is 0
    expect(after[evalKey(METRIC_NAMES.rewardsAccuracies)]).toBeGreaterThan(0.6);

    const comparison = await compareRewards(base, policy, schedule, {
      conditions: Array.from({ length: 400 }, (_, i) => i % 2),
      reward: lessInk,
      seed: 6,
      numSteps: 20,
      batchSize: 200,
    });
    expect(comparison.candidateMean).toBeGreaterThan(comparison.baselineMean);
    expect(comparison.winRate).toBeGreaterThan(0.55);
    console.log(
      `rewards/accuracies ${after[evalKey(METRIC_NAMES.rewardsAccuracies)]!.toFixed(3)}; reward (minus ink) reference ${comparison.baselineMean.toFixed(4)} -> aligned ${comparison.candidateMean.toFixed(4)}, win rate ${comparison.winRate.toFixed(3)}`,
    );
    trainer.dispose();
    policy.dispose();
    base.dispose();
  }, 240_000);
});
