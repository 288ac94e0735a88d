import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { saveLatentAutoencoder } from './autoencoder-checkpoint.js';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentAutoencoder } from './latent-autoencoder.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { saveTextToImageTrainedModel } from './saved-text-to-image-model.js';
import { saveTextToImageModel, textToImageVariables } from './text-to-image-checkpoint.js';
import { loadTextToImageSnapshot, type TextToImageSnapshot } from './text-to-image-snapshot.js';

const CAPTIONS = ['red apple', 'blue heart', 'red heart'];
const ENCODER = { maxLength: 4, dim: 8, layers: 1, heads: 2 };
const DENOISER = { channels: 8, blocks: 1, groups: 4 };
const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
const encoder = new CaptionEncoder({ ...ENCODER, vocabSize: tokenizer.vocabSize, seed: 3 });
const denoiser = new LatentTextDenoiser({ ...DENOISER, latentShape: [2, 2, 2], textDim: 8, seed: 4 });
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
const model = { tokenizer, encoder, denoiser };
let root = '';
let autoencoderDir = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-snapshot-'));
  autoencoderDir = join(root, 'autoencoder');
  await saveLatentAutoencoder(autoencoderDir, autoencoder);
});
afterAll(async () => {
  for (const network of [encoder, denoiser, autoencoder.autoencoder]) network.dispose();
  await rm(root, { recursive: true, force: true });
});

const weightsOf = (m: Pick<TextToImageSnapshot['model'], 'encoder' | 'denoiser'>): [string, number[]][] =>
  [...textToImageVariables(m)].map(([name, v]) => [name, Array.from(v.dataSync())]);

/** Loads, checks what the caller expects, disposes every network loaded. */
async function loadAndCheck(
  directory: string,
  options: Parameters<typeof loadTextToImageSnapshot>[1],
  check: (snapshot: TextToImageSnapshot) => void,
): Promise<void> {
  await expectNoLeak(async () => {
    const snapshot = await loadTextToImageSnapshot(directory, options);
    try {
      check(snapshot);
      expect(weightsOf(snapshot.model)).toEqual(weightsOf(model));
      expect(snapshot.model.tokenizer.encodeBatch(CAPTIONS, 4)).toEqual(tokenizer.encodeBatch(CAPTIONS, 4));
      expect(snapshot.autoencoder.scalingFactor).toBe(0.5);
    } finally {
      for (const network of [snapshot.model.encoder, snapshot.model.denoiser, snapshot.autoencoder.autoencoder])
        network.dispose();
    }
  });
}

describe('loadTextToImageSnapshot', () => {
  it("reads a saved model (the base run's --out) with the step of its training.json", async () => {
    const dir = join(root, 'saved');
    await saveTextToImageModel(dir, model, { scalingFactor: 0.5 });
    await writeFile(join(dir, 'training.json'), JSON.stringify({ steps: 12 }));
    await loadAndCheck(dir, { autoencoder: autoencoderDir }, (snapshot) => {
      expect(snapshot.kind).toBe('saved-model');
      expect(snapshot.step).toBe(12);
      expect(snapshot.source).toBe(dir);
    });
  });

  it('prefers the metadata step of a saved model, and reports null when neither says', async () => {
    const withStep = join(root, 'saved-step');
    await saveTextToImageModel(withStep, model, { step: 20 });
    await loadAndCheck(withStep, { autoencoder: autoencoderDir }, (snapshot) => expect(snapshot.step).toBe(20));
    const without = join(root, 'saved-none');
    await saveTextToImageModel(without, model);
    await loadAndCheck(without, { autoencoder: autoencoderDir }, (snapshot) => expect(snapshot.step).toBeNull());
  });

  it("reads a run checkpoint's newest step, rebuilding the tokenizer from the training captions", async () => {
    const runDir = join(root, 'run');
    await saveCheckpoint(runDir, { step: 5, weights: textToImageVariables(model) });
    await saveCheckpoint(runDir, { step: 9, weights: textToImageVariables(model) });
    await loadAndCheck(
      runDir,
      { trainCaptions: CAPTIONS, autoencoder: autoencoderDir, encoder: ENCODER, denoiser: DENOISER },
      (snapshot) => {
        expect(snapshot.kind).toBe('run-checkpoint');
        expect(snapshot.step).toBe(9);
        expect(snapshot.source).toBe(join(runDir, 'step-000009'));
      },
    );
  });

  it('names the directory when a run checkpoint comes without captions or with another architecture', async () => {
    const runDir = join(root, 'run');
    await expect(loadTextToImageSnapshot(runDir, { autoencoder: autoencoderDir })).rejects.toThrow(
      `${runDir}: a run checkpoint holds no tokenizer`,
    );
    await expectNoLeak(() =>
      expect(
        loadTextToImageSnapshot(runDir, {
          trainCaptions: CAPTIONS,
          autoencoder: autoencoderDir,
          encoder: { ...ENCODER, dim: 16 },
          denoiser: DENOISER,
        }),
      ).rejects.toThrow(`${runDir}: not a text-to-image base run checkpoint`),
    );
  });

  it('reads a trained model with its own autoencoder and manifest step', async () => {
    const dir = join(root, 'trained');
    await saveTextToImageTrainedModel(dir, {
      kind: 'latent-diffusion-dpo',
      model,
      autoencoder,
      schedule: new NoiseSchedule({ numTimesteps: 50 }),
      step: 7,
    });
    await loadAndCheck(dir, {}, (snapshot) => {
      expect(snapshot.kind).toBe('trained-model');
      expect(snapshot.step).toBe(7);
    });
  });
});
