import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Rng } from '@dpo-ts/core/training';
import { SAVED_MODEL_FILE } from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { ddimSample } from './ddim-sampler.js';
import type { Denoiser } from './denoiser.js';
import { loadDenoiser } from './denoiser-checkpoint.js';
import { DiffusionDPOTrainer } from './dpo/diffusion-dpo-trainer.js';
import { randomPairs, tinyDenoiser, tinySchedule } from './dpo/tiny-models.test-helper.js';
import { NoiseSchedule } from './noise-schedule.js';
import { loadDiffusionModel } from './saved-diffusion-model.js';
import { DiffusionSFTTrainer } from './sft/diffusion-sft-trainer.js';

const weightsOf = (model: Denoiser): number[][] =>
  [...model.namedVariables().values()].map((v) => Array.from(v.dataSync()));
const scratch = (): Promise<string> => fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-diffusion-save-'));
const samples = (model: Denoiser, schedule: NoiseSchedule): number[] => {
  const { images } = ddimSample(model, schedule, { labels: [0, 1, 2], rng: new Rng(9), numSteps: 4 });
  const values = Array.from(images.dataSync());
  images.dispose();
  return values;
};

describe('DiffusionSFTTrainer.save / DiffusionDPOTrainer.load', () => {
  it('round-trips SFT -> Diffusion-DPO -> saved model: bit-identical weights, schedule and samples', async () => {
    const dir = await scratch();
    const schedule = new NoiseSchedule({ numTimesteps: 100, type: 'cosine' });
    const model = tinyDenoiser(2);
    const pairs = randomPairs(6, 1);
    const sft = await DiffusionSFTTrainer.create({
      model,
      schedule,
      trainDataset: {
        images: pairs.chosen,
        labels: pairs.labels,
        count: 6,
        imageShape: [4, 4, 1],
        numClasses: 3,
        classNames: ['a', 'b', 'c'],
      },
      config: { totalSteps: 2, perDeviceTrainBatchSize: 3 },
    });
    await sft.train({ progress: false });
    await expectNoLeak(() => sft.save(path.join(dir, 'sft')));
    sft.dispose();
    const fromSFT = await DiffusionSFTTrainer.load(path.join(dir, 'sft'));
    expect(fromSFT.manifest).toMatchObject({ kind: 'diffusion-sft', modality: 'diffusion', step: 2 });
    expect(fromSFT.schedule.config).toEqual(schedule.config);
    expect(weightsOf(fromSFT.model)).toEqual(weightsOf(model));
    model.dispose();

    const dpo = await DiffusionDPOTrainer.create({
      model: fromSFT.model,
      schedule: fromSFT.schedule,
      trainDataset: pairs,
      config: { totalSteps: 1, perDeviceTrainBatchSize: 3, learningRate: 1e-3 },
    });
    await dpo.train({ progress: false });
    await dpo.save(path.join(dir, 'dpo'));
    dpo.dispose();
    const loaded = await DiffusionDPOTrainer.load(path.join(dir, 'dpo'));
    expect(loaded.manifest).toMatchObject({ kind: 'diffusion-dpo', step: 1 });
    expect(weightsOf(loaded.model)).toEqual(weightsOf(fromSFT.model));
    expect(samples(loaded.model, loaded.schedule)).toEqual(samples(fromSFT.model, fromSFT.schedule));
    // The directory is also a plain saveDenoiser checkpoint.
    const plain = await loadDenoiser(path.join(dir, 'dpo'));
    expect(weightsOf(plain)).toEqual(weightsOf(fromSFT.model));
    plain.dispose();
    loaded.model.dispose();
    fromSFT.model.dispose();
  });

  it('names the file of a malformed schedule and refuses a directory that is not a saved model', async () => {
    const dir = path.join(await scratch(), 'model');
    const model = tinyDenoiser(0);
    const trainer = await DiffusionSFTTrainer.create({
      model,
      schedule: tinySchedule(),
      trainDataset: {
        images: new Float32Array(16),
        labels: Int32Array.from([0]),
        count: 1,
        imageShape: [4, 4, 1],
        numClasses: 3,
        classNames: ['a', 'b', 'c'],
      },
      config: { totalSteps: 1 },
    });
    await trainer.save(dir);
    trainer.dispose();
    model.dispose();
    await fs.writeFile(path.join(dir, 'schedule.json'), '{"numTimesteps": -3}');
    await expect(loadDiffusionModel(dir)).rejects.toThrow(path.join(dir, 'schedule.json'));
    await fs.rm(path.join(dir, SAVED_MODEL_FILE));
    await expect(loadDiffusionModel(dir)).rejects.toThrow(
      /^dir must be a directory written by a trainer's save\(dir\)/,
    );
  });
});
