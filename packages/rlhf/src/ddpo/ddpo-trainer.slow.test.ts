import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend } from '@dpo-ts/core/backend';
import {
  DiffusionSFTTrainer,
  MLPDenoiser,
  NoiseSchedule,
  cloneDenoiser,
  compareRewards,
  type ImageDataset,
  type ImageReward,
} from '@dpo-ts/diffusion';
import { DDPO_METRIC_NAMES } from './ddpo-metrics.js';
import { DDPOTrainer } from './ddpo-trainer.js';

/** 8x8 bars, horizontal (class 0) or vertical (class 1), 1 to 4 pixels thick. */
function bars(count: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const images = new Float32Array(count * 64).fill(-1);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const thickness = 1 + rng.int(4);
    const offset = rng.int(9 - thickness);
    labels[i] = label;
    for (let a = 0; a < 8; a++)
      for (let b = offset; b < offset + thickness; b++) images[i * 64 + (label === 0 ? b * 8 + a : a * 8 + b)] = 1;
  }
  return { images, labels, count, imageShape: [8, 8, 1], numClasses: 2, classNames: ['horizontal', 'vertical'] };
}

/** Minus the mean brightness: thin bars score higher. */
const lessInk: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return -data.reduce((a, v) => a + (v + 1) / 2, 0) / data.length;
};

describe('DDPOTrainer learns (wasm)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('raises the reward of its samples within 20 steps', async () => {
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

    const model = cloneDenoiser(base);
    const trainer = await DDPOTrainer.create({
      model,
      schedule,
      reward: lessInk,
      conditions: [0, 1],
      config: {
        totalSteps: 20,
        samplesPerStep: 64,
        sampleBatchSize: 64,
        numSteps: 10,
        guidanceScale: 1,
        trainBatchSize: 16,
        learningRate: 1e-4,
        seed: 1,
      },
    });
    const result = await trainer.train({ progress: false });
    const rewards = result.history.map((entry) => entry.metrics[DDPO_METRIC_NAMES.rewardMean]!);
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(rewards.slice(-3))).toBeGreaterThan(mean(rewards.slice(0, 3)));
    const comparison = await compareRewards(base, model, schedule, {
      conditions: Array.from({ length: 400 }, (_, i) => i % 2),
      reward: lessInk,
      seed: 6,
      numSteps: 10,
      batchSize: 200,
    });
    expect(comparison.candidateMean).toBeGreaterThan(comparison.baselineMean);
    expect(comparison.winRate).toBeGreaterThan(0.7);
    console.log(
      `reward_mean first 3 steps ${mean(rewards.slice(0, 3)).toFixed(4)} -> last 3 ${mean(rewards.slice(-3)).toFixed(4)}; deterministic samples ${comparison.baselineMean.toFixed(4)} -> ${comparison.candidateMean.toFixed(4)}, win rate ${comparison.winRate.toFixed(3)}`,
    );
    trainer.dispose();
    model.dispose();
    base.dispose();
  }, 240_000);
});
