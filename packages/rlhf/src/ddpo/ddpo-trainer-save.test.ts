import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import {
  cloneDenoiser,
  DiffusionDPOTrainer,
  ddimSample,
  MLPDenoiser,
  NoiseSchedule,
  type Denoiser,
} from '@dpo-ts/diffusion';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DDPOTrainer } from './ddpo-trainer.js';

const schedule = new NoiseSchedule({ numTimesteps: 100 });
const brightness = (image: unknown): number => {
  const data = (image as { data: Float32Array }).data;
  return data.reduce((a, b) => a + b, 0) / data.length;
};
const config = {
  totalSteps: 1,
  samplesPerStep: 4,
  sampleBatchSize: 4,
  numSteps: 4,
  trainBatchSize: 4,
  learningRate: 1e-2,
};
const newDenoiser = (): MLPDenoiser =>
  new MLPDenoiser({
    imageShape: [4, 4, 1],
    numClasses: 2,
    hiddenSize: 16,
    numLayers: 1,
    timeEmbeddingDim: 8,
    zeroInitOutput: false,
    seed: 3,
  });
const values = (model: Denoiser): [string, number[]][] =>
  [...model.namedVariables()].map(([name, v]) => [name, Array.from(v.dataSync())]);
const imagesOf = (model: Denoiser): number[] => {
  const { images } = ddimSample(model, schedule, { labels: [0, 1], rng: new Rng(9), numSteps: 4 });
  const data = Array.from(images.dataSync());
  images.dispose();
  return data;
};
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

describe('DDPOTrainer.save / DDPOTrainer.load', () => {
  it('round-trips the trained denoiser bit for bit, samples the same images and reads as any diffusion model', async () => {
    const root = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-ddpo-save-'));
    dirs.push(root);
    const dir = path.join(root, 'ddpo');
    const model = newDenoiser();
    const initial = cloneDenoiser(model);
    const trainer = await DDPOTrainer.create({
      model,
      schedule,
      reward: brightness,
      trainDataset: [{ prompt: 0 }, { prompt: 1 }],
      config,
    });
    await trainer.train({ progress: false });
    await expectNoLeak(() => trainer.save(dir));
    const loaded = await DDPOTrainer.load(dir);
    expect(loaded.manifest).toMatchObject({ kind: 'ddpo', modality: 'diffusion', step: 1 });
    expect((loaded.manifest.trainerConfig as { samplesPerStep: number }).samplesPerStep).toBe(4);
    expect(values(loaded.model)).toEqual(values(model));
    expect(values(loaded.model)).not.toEqual(values(initial));
    expect(loaded.schedule.config).toEqual(schedule.config);
    expect(imagesOf(loaded.model)).toEqual(imagesOf(model));
    const asDPO = await DiffusionDPOTrainer.load(dir);
    expect(values(asDPO.model)).toEqual(values(model));

    // A failed save leaves the model intact.
    const before = await fs.readFile(path.join(dir, 'weights.bin'));
    const spy = vi.spyOn(model, 'namedVariables').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    await expect(trainer.save(dir)).rejects.toThrow('disk full');
    spy.mockRestore();
    expect(await fs.readFile(path.join(dir, 'weights.bin'))).toEqual(before);
    expect((await readSavedModelManifest(dir)).kind).toBe('ddpo');
    expect(await fs.readdir(root)).toEqual(['ddpo']);

    const error = await DDPOTrainer.load(path.join(root, 'nope')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('dir');
    trainer.dispose();
    for (const object of [model, initial, loaded.model, asDPO.model]) object.dispose();
  });
});
