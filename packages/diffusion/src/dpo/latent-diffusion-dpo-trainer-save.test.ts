import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { CaptionTokenizer } from '../text-to-image/caption-tokenizer.js';
import { LatentAutoencoder } from '../text-to-image/latent-autoencoder.js';
import { LatentDiffusionDPOTrainer } from './latent-diffusion-dpo-trainer.js';
import { disposeTiny, randomLatentPairs, tinyTextToImage } from './tiny-text-to-image.test-helper.js';

const schedule = new NoiseSchedule({ numTimesteps: 50 });
const model = tinyTextToImage(8);
// Four words + padding + unknown: the tiny encoder's vocabulary of 6.
const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart']);
const autoencoder = {
  autoencoder: new LatentAutoencoder({
    imageShape: [4, 4, 3],
    channels: [4, 4],
    latentChannels: 2,
    groups: 2,
    seed: 5,
  }),
  scalingFactor: 0.5,
};
const config = { totalSteps: 2, beta: 500, learningRate: 3e-3, perDeviceTrainBatchSize: 4, cfgDropProb: 0 };
const dirs: string[] = [];
afterAll(async () => {
  disposeTiny(model);
  autoencoder.autoencoder.dispose();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const values = (variables: ReadonlyMap<string, { dataSync(): ArrayLike<number> }>): [string, number[]][] =>
  [...variables].map(([name, v]) => [name, Array.from(v.dataSync())]);

describe('LatentDiffusionDPOTrainer.save / load', () => {
  it('writes the trained policy as a complete text-to-image model that load() reads back bit-identically', async () => {
    expect(tokenizer.vocabSize).toBe(model.encoder.config.vocabSize);
    const trainer = await LatentDiffusionDPOTrainer.create({
      model,
      schedule,
      trainDataset: randomLatentPairs(8, 31),
      config,
      tokenizer,
      autoencoder,
    });
    for (let step = 0; step < 2; step++) await trainer.trainStep(trainer.batchesForStep(step), step);
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-latent-dpo-save-'));
    dirs.push(root);
    await trainer.save(join(root, 'model'));
    const saved = await LatentDiffusionDPOTrainer.load(join(root, 'model'));
    try {
      expect(saved.manifest.kind).toBe('latent-diffusion-dpo');
      expect(saved.manifest.step).toBe(2);
      expect(values(saved.encoder.namedVariables())).toEqual(values(model.encoder.namedVariables()));
      expect(values(saved.denoiser.namedVariables())).toEqual(values(model.denoiser.namedVariables()));
      expect(values(saved.autoencoder.autoencoder.namedVariables())).toEqual(
        values(autoencoder.autoencoder.namedVariables()),
      );
      expect(saved.autoencoder.scalingFactor).toBe(0.5);
      expect(saved.tokenizer.encode('red apple', 4)).toEqual(tokenizer.encode('red apple', 4));
      expect(saved.schedule.config).toEqual(schedule.config);
    } finally {
      saved.encoder.dispose();
      saved.denoiser.dispose();
      saved.autoencoder.autoencoder.dispose();
      trainer.dispose();
    }
  });

  it('refuses to save without the tokenizer or the autoencoder, naming the missing option', async () => {
    const trainer = await LatentDiffusionDPOTrainer.create({
      model,
      schedule,
      trainDataset: randomLatentPairs(4, 32),
      config,
      autoencoder,
    });
    try {
      const dir = join(tmpdir(), 'dpo-ts-never-written');
      await expect(trainer.save(dir)).rejects.toThrow(InvalidArgumentError);
      await expect(trainer.save(dir)).rejects.toThrow(/options\.tokenizer/);
    } finally {
      trainer.dispose();
    }
  });
});
