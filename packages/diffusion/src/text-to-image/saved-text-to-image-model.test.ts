import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import {
  DEFAULT_NAMED_WEIGHTS_FILES,
  encodeNamedWeights,
  formatJsonFile,
  readSavedModelManifest,
} from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sampleCaptionImages } from '../feedback/sample-caption-pairs.js';
import { NoiseSchedule } from '../noise-schedule.js';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentAutoencoder } from './latent-autoencoder.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import {
  loadTextToImageTrainedModel,
  saveTextToImageTrainedModel,
  TEXT_TO_IMAGE_AUTOENCODER_FILES,
} from './saved-text-to-image-model.js';
import { loadTextToImageModel, textToImageVariables } from './text-to-image-checkpoint.js';

const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart']);
const encoder = new CaptionEncoder({
  vocabSize: tokenizer.vocabSize,
  maxLength: 4,
  dim: 8,
  layers: 1,
  heads: 2,
  seed: 3,
});
const denoiser = new LatentTextDenoiser({
  latentShape: [2, 2, 2],
  textDim: 8,
  channels: 8,
  blocks: 1,
  groups: 4,
  seed: 4,
});
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
const schedule = new NoiseSchedule({ numTimesteps: 50 });
const model = { tokenizer, encoder, denoiser };
const dirs: string[] = [];
afterAll(async () => {
  for (const network of [encoder, denoiser, autoencoder.autoencoder]) network.dispose();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const values = (variables: ReadonlyMap<string, { dataSync(): ArrayLike<number> }>): [string, number[]][] =>
  [...variables].map(([name, v]) => [name, Array.from(v.dataSync())]);

describe('saveTextToImageTrainedModel / loadTextToImageTrainedModel', () => {
  it('round-trips tokenizer, encoder, denoiser, autoencoder and schedule; the same seed draws the same images', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-save-'));
    dirs.push(root);
    const dir = join(root, 'model');
    await expectNoLeak(() =>
      saveTextToImageTrainedModel(dir, { kind: 'latent-diffusion-dpo', model, autoencoder, schedule, step: 7 }),
    );
    expect(await readSavedModelManifest(dir)).toMatchObject({
      kind: 'latent-diffusion-dpo',
      modality: 'text-to-image',
      step: 7,
    });
    const loaded = await loadTextToImageTrainedModel(dir);
    expect(loaded.tokenizer.words).toEqual(tokenizer.words);
    expect(values(textToImageVariables(loaded))).toEqual(values(textToImageVariables(model)));
    expect(values(loaded.autoencoder.autoencoder.namedVariables())).toEqual(
      values(autoencoder.autoencoder.namedVariables()),
    );
    expect(loaded.autoencoder.scalingFactor).toBe(0.5);
    expect(loaded.schedule.config).toEqual(schedule.config);
    const options = { seed: 3, numSteps: 3 };
    const captions = ['red apple', 'blue heart'];
    expect(await sampleCaptionImages(loaded, loaded.autoencoder, loaded.schedule, captions, options)).toEqual(
      await sampleCaptionImages(model, autoencoder, schedule, captions, options),
    );
    // The older reader of the networks alone still reads the directory.
    const networks = await loadTextToImageModel(dir);
    expect(values(textToImageVariables(networks))).toEqual(values(textToImageVariables(model)));
    for (const network of [
      loaded.encoder,
      loaded.denoiser,
      loaded.autoencoder.autoencoder,
      networks.encoder,
      networks.denoiser,
    ])
      network.dispose();
  });

  it('reads a model whose weights files hold float16 (as scripts/compact-text-to-image-model writes them)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-f16-'));
    dirs.push(root);
    const dir = join(root, 'model');
    await saveTextToImageTrainedModel(dir, { kind: 'text-to-image', model, autoencoder, schedule });
    for (const [variables, files] of [
      [textToImageVariables(model), DEFAULT_NAMED_WEIGHTS_FILES],
      [autoencoder.autoencoder.namedVariables(), TEXT_TO_IMAGE_AUTOENCODER_FILES],
    ] as const) {
      const { manifest, data } = await encodeNamedWeights(variables, { storage: 'float16' });
      await writeFile(join(dir, files.manifest), formatJsonFile(manifest));
      await writeFile(join(dir, files.weights), data);
    }
    const loaded = await loadTextToImageTrainedModel(dir);
    const options = { seed: 3, numSteps: 3 };
    const captions = ['red apple', 'blue heart'];
    const [original, half] = [
      await sampleCaptionImages(model, autoencoder, schedule, captions, options),
      await sampleCaptionImages(loaded, loaded.autoencoder, loaded.schedule, captions, options),
    ];
    expect(half).not.toEqual(original); // the weights were rounded ...
    const worst = Math.max(...original.map((value, i) => Math.abs(value - half[i]!)));
    expect(worst).toBeLessThan(1e-2); // ... by a relative 2^-11 at most: images in [-1, 1] barely move
    for (const network of [loaded.encoder, loaded.denoiser, loaded.autoencoder.autoencoder]) network.dispose();
  });

  it('a failed save leaves the previous model intact; a bad directory is named', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-save-'));
    dirs.push(root);
    const dir = join(root, 'model');
    await saveTextToImageTrainedModel(dir, { kind: 'text-to-image', model, autoencoder, schedule });
    const before = await readFile(join(dir, 'autoencoder.bin'));
    const spy = vi.spyOn(tokenizer, 'toJSON').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    await expect(
      saveTextToImageTrainedModel(dir, { kind: 'text-to-image', model, autoencoder, schedule, step: 1 }),
    ).rejects.toThrow('disk full');
    spy.mockRestore();
    expect(await readFile(join(dir, 'autoencoder.bin'))).toEqual(before);
    expect((await readSavedModelManifest(dir)).step).toBe(0);
    expect(await readdir(root)).toEqual(['model']);
    const error = await loadTextToImageTrainedModel(join(root, 'nope')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('dir');
  });
});
