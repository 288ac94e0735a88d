import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import type { ImageDataset } from '../data/image-dataset.js';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import { independentError, randomPairs, tinyDenoiser, tinySchedule } from '../dpo/tiny-models.test-helper.js';
import { buildDenoisingBatch } from './denoising-batch.js';
import { DiffusionSFTTrainer } from './diffusion-sft-trainer.js';
import { preferredImages } from './preferred-images.js';

const schedule = tinySchedule();
const base = tinyDenoiser(4, 0.25);
afterAll(() => base.dispose());

/** 4x4 images: label 0 a bright top half, 1 a bright left half, 2 a dark image, with a little noise. */
function patterns(count: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  const images = new Float32Array(count * 16);
  labels.forEach((label, i) => {
    for (let p = 0; p < 16; p++) {
      const on = label === 0 ? p < 8 : label === 1 ? p % 4 < 2 : false;
      images[i * 16 + p] = (on ? 0.9 : -0.9) + 0.05 * rng.normal();
    }
  });
  return { images, labels, count, imageShape: [4, 4, 1], numClasses: 3, classNames: ['top', 'left', 'dark'] };
}

describe('DiffusionSFTTrainer', () => {
  it('derives totalSteps from numTrainEpochs (TRL default 3) unless totalSteps is given', async () => {
    const model = cloneDenoiser(base);
    const create = (config: { totalSteps?: number; numTrainEpochs?: number }) =>
      DiffusionSFTTrainer.create({
        model,
        schedule,
        trainDataset: patterns(9, 1),
        config: { ...config, perDeviceTrainBatchSize: 4 },
      });
    // 9 images in batches of 4: 3 steps per epoch.
    for (const [config, steps] of [
      [{}, 9],
      [{ numTrainEpochs: 2 }, 6],
      [{ totalSteps: 5, numTrainEpochs: 2 }, 5],
    ] as const) {
      const trainer = await create(config);
      expect(trainer.config.totalSteps).toBe(steps);
      trainer.dispose();
    }
    model.dispose();
  });

  it('reports L_simple of the step, equal to the mean of independently computed errors', async () => {
    const model = cloneDenoiser(base);
    const trainer = await DiffusionSFTTrainer.create({
      model,
      schedule,
      trainDataset: patterns(9, 1),
      config: { totalSteps: 1, perDeviceTrainBatchSize: 5, gradientAccumulationSteps: 2 },
    });
    const batches = trainer.batchesForStep(0);
    expect(batches.map((b) => b.numExamples)).toEqual([5, 4]);
    let sum = 0;
    for (const batch of batches) {
      for (let i = 0; i < batch.numExamples; i++) {
        sum += independentError(
          base,
          schedule,
          batch.images.subarray(i * 16, (i + 1) * 16),
          batch.noise.subarray(i * 16, (i + 1) * 16),
          batch.timesteps[i]!,
          batch.labels[i]!,
        );
      }
    }
    const metrics = await expectNoLeak(() => trainer.trainStep(batches, 0));
    expect(metrics[METRIC_NAMES.loss]).toBeCloseTo(sum / 9, 4);
    expect(metrics[METRIC_NAMES.epoch]).toBe(1);
    expect(metrics[METRIC_NAMES.learningRate]).toBe(1e-3);
    trainer.dispose();
    model.dispose();
  });

  it("drops labels to the null class with probability cfgDropProb (the denoiser's by default)", async () => {
    const trainer = await DiffusionSFTTrainer.create({
      model: base,
      schedule,
      trainDataset: patterns(600, 2),
      config: { totalSteps: 1, perDeviceTrainBatchSize: 600 },
    });
    expect(trainer.config.cfgDropProb).toBe(0.25);
    const [batch] = trainer.batchesForStep(0);
    const dropped = batch!.labels.filter((l) => l === 3).length / 600;
    expect(dropped).toBeGreaterThan(0.2);
    expect(dropped).toBeLessThan(0.3);
    trainer.dispose();
  });

  it("learns: held-out denoising error falls well below the untrained model's", async () => {
    const model = cloneDenoiser(base);
    const trainer = await DiffusionSFTTrainer.create({
      model,
      schedule,
      trainDataset: patterns(96, 3),
      evalDataset: patterns(48, 4),
      config: { totalSteps: 150, perDeviceTrainBatchSize: 32, learningRate: 1e-2 },
    });
    const before = (await trainer.evaluate())[evalKey(METRIC_NAMES.loss)]!;
    const result = await trainer.train({ progress: false });
    const after = (await trainer.evaluate())[evalKey(METRIC_NAMES.loss)]!;
    expect(after).toBeLessThan(0.6 * before);
    expect(result.completedSteps).toBe(150);
    trainer.dispose();
    model.dispose();
  });

  it('resumes bit-identically from a checkpoint', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'diffusion-sft-resume-'));
    const config = { totalSteps: 6, perDeviceTrainBatchSize: 8, saveSteps: 3, learningRate: 1e-2 };
    try {
      const straight = cloneDenoiser(base);
      const a = await DiffusionSFTTrainer.create({ model: straight, schedule, trainDataset: patterns(20, 5), config });
      await a.train({ progress: false });
      const controller = new AbortController();
      const first = cloneDenoiser(base);
      const b = await DiffusionSFTTrainer.create({ model: first, schedule, trainDataset: patterns(20, 5), config });
      await b.train({
        progress: false,
        checkpoint: { dir },
        signal: controller.signal,
        onLog: ({ step }) => step === 3 && controller.abort(),
      });
      const resumed = cloneDenoiser(base);
      const c = await DiffusionSFTTrainer.create({ model: resumed, schedule, trainDataset: patterns(20, 5), config });
      expect((await c.train({ progress: false, checkpoint: { dir, resume: true } })).startStep).toBe(3);
      for (const [name, variable] of straight.namedVariables())
        expect(Array.from(resumed.namedVariables().get(name)!.dataSync())).toEqual(Array.from(variable.dataSync()));
      [a, b, c].forEach((t) => {
        t.dispose();
      });
      [straight, first, resumed].forEach((m) => {
        m.dispose();
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('trains on the preferred images of pairs (SFT on winners)', () => {
    const pairs = randomPairs(4, 6);
    const winners = preferredImages(pairs, 3);
    expect(winners.images).toBe(pairs.chosen);
    const batch = buildDenoisingBatch(winners, [2], {
      seed: 1,
      round: 0,
      numTimesteps: 100,
      cfgDropProb: 0,
      nullClass: 3,
    });
    expect(Array.from(batch.images)).toEqual(Array.from(pairs.chosen.subarray(32, 48)));
    expect(batch.labels[0]).toBe(pairs.labels[2]);
  });

  it('rejects data of another shape, naming the argument', async () => {
    const wrong = { ...patterns(3, 7), imageShape: [2, 8, 1] as const };
    await expect(
      DiffusionSFTTrainer.create({ model: base, schedule, trainDataset: wrong, config: { totalSteps: 1 } }),
    ).rejects.toThrow('options.trainDataset.imageShape must be [4, 4, 1]');
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});
