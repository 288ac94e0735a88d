import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { cloneDenoiser, loadDenoiser, saveDenoiser } from './denoiser-checkpoint.js';
import { MLPDenoiser } from './mlp-denoiser.js';
import { UNet } from './unet.js';

const root = await mkdtemp(join(tmpdir(), 'dpo-ts-denoiser-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('saveDenoiser / loadDenoiser', () => {
  it('round-trips a UNet exactly, writing config.json, manifest.json and weights.bin', async () => {
    const model = new UNet({
      imageShape: [4, 4, 1],
      numClasses: 2,
      baseChannels: 4,
      channelMultipliers: [1, 2],
      groups: 2,
      zeroInit: false,
      seed: 5,
    });
    const directory = join(root, 'unet');
    await saveDenoiser(model, directory);
    expect((await readdir(directory)).sort()).toEqual(['config.json', 'manifest.json', 'weights.bin']);
    const header = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(header).toMatchObject({
      format: 'dpo-ts.denoiser',
      version: 1,
      kind: 'unet',
      config: { baseChannels: 4, seed: 5 },
    });
    const loaded = await loadDenoiser(directory);
    expect(loaded.kind).toBe('unet');
    for (const [name, variable] of model.namedVariables())
      expectClose(loaded.namedVariables().get(name)!, variable, { atol: 0, rtol: 0 });
    model.dispose();
    loaded.dispose();
  });

  it('overwrites an existing checkpoint atomically (no temporary directories left behind)', async () => {
    const directory = join(root, 'mlp');
    const first = new MLPDenoiser({
      imageShape: [2, 2, 1],
      hiddenSize: 4,
      numLayers: 1,
      timeEmbeddingDim: 4,
      zeroInitOutput: false,
      seed: 1,
    });
    const second = new MLPDenoiser({
      imageShape: [2, 2, 1],
      hiddenSize: 4,
      numLayers: 1,
      timeEmbeddingDim: 4,
      zeroInitOutput: false,
      seed: 2,
    });
    await saveDenoiser(first, directory);
    await saveDenoiser(second, directory);
    expect((await readdir(root)).filter((name) => name.includes('.tmp-') || name.includes('.old-'))).toEqual([]);
    const loaded = await loadDenoiser(directory);
    expectClose(loaded.namedVariables().get('in.kernel')!, second.namedVariables().get('in.kernel')!, {
      atol: 0,
      rtol: 0,
    });
    tf.dispose([first, second, loaded].flatMap((m) => m.trainableVariables()));
  });

  it('rejects a manifest that does not fit the model, naming the file', async () => {
    const directory = join(root, 'bad');
    const model = new MLPDenoiser({ imageShape: [2, 2, 1], hiddenSize: 4, numLayers: 1, timeEmbeddingDim: 4 });
    await saveDenoiser(model, directory);
    const manifestPath = join(directory, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.weights[0].shape = [3, 4];
    await writeFile(manifestPath, JSON.stringify(manifest));
    const before = tf.memory().numTensors;
    await expect(loadDenoiser(directory)).rejects.toThrow(DataFormatError);
    await expect(loadDenoiser(directory)).rejects.toThrow(`${manifestPath}: weight "in.kernel" has shape [3, 4]`);
    expect(tf.memory().numTensors).toBe(before);
    await writeFile(join(directory, 'config.json'), '{"format":"other"}');
    await expect(loadDenoiser(directory)).rejects.toThrow('format must be "dpo-ts.denoiser"');
    model.dispose();
  });
});

describe('cloneDenoiser', () => {
  it('copies the weights into an independent model', async () => {
    const model = new MLPDenoiser({
      imageShape: [2, 2, 1],
      hiddenSize: 4,
      numLayers: 1,
      timeEmbeddingDim: 4,
      zeroInitOutput: false,
      seed: 3,
    });
    await expectNoLeak(() => {
      const copy = cloneDenoiser(model);
      const original = model.namedVariables().get('out.kernel')!;
      expectClose(copy.namedVariables().get('out.kernel')!, original, { atol: 0, rtol: 0 });
      tf.tidy(() => original.assign(tf.zerosLike(original)));
      expect(tf.tidy(() => tf.sum(tf.abs(copy.namedVariables().get('out.kernel')!)).dataSync()[0])).toBeGreaterThan(0);
      copy.dispose();
    });
    model.dispose();
  });
});
