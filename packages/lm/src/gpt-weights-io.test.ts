import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataFormatError } from '@dpo-ts/core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT } from './gpt-model.js';
import { loadGPT, loadGPTWeights, saveGPT, type WeightsManifest } from './gpt-weights-io.js';

const CONFIG = { vocabSize: 9, contextLength: 6, dModel: 8, nLayer: 1, nHead: 2, tieWeights: false, seed: 1 };

describe('saveGPT / loadGPT', () => {
  const folder = mkdtemp(join(tmpdir(), 'dpo-ts-lm-gpt-'));
  afterAll(async () => rm(await folder, { recursive: true, force: true }));

  it('round-trips config and weights exactly, replacing an existing folder atomically', async () => {
    const dir = join(await folder, 'model');
    const model = new GPT(CONFIG);
    await saveGPT(model, dir);
    const other = new GPT({ ...CONFIG, seed: 2 });
    await saveGPT(other, dir); // overwrite
    await saveGPT(model, dir); // and back
    other.dispose();
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'manifest.json', 'weights.bin']);
    expect((await readdir(await folder)).sort()).toEqual(['model']); // no temporary or old folder left
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as WeightsManifest;
    expect(manifest.weights[0]).toEqual({ name: 'wte', shape: [9, 8], offset: 0, byteLength: 288 });
    expect(manifest.byteLength).toBe(model.numParameters() * 4);

    await expectNoLeak(async () => {
      const loaded = await loadGPT(dir);
      expect(loaded.config).toEqual(model.config);
      for (const [name, variable] of model.namedVariables())
        expectClose(loaded.namedVariables().get(name)!, variable, { atol: 0, rtol: 0 });
      tf.tidy(() => {
        const ids = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
        expectClose(loaded.forward(ids), model.forward(ids), { atol: 0, rtol: 0 });
      });
      loaded.dispose();
    }, 0);
    model.dispose();
  });

  it('refuses weights that do not fit the model or a damaged folder', async () => {
    const dir = join(await folder, 'small');
    const model = new GPT(CONFIG);
    await saveGPT(model, dir);
    const wider = new GPT({ ...CONFIG, dModel: 16 });
    await expect(loadGPTWeights(wider, dir)).rejects.toThrow(/must have shape/);
    const tied = new GPT({ ...CONFIG, tieWeights: true });
    await expect(loadGPTWeights(tied, dir)).rejects.toThrow(/lm_head\.kernel/);
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(12));
    await expect(loadGPT(dir)).rejects.toThrow(DataFormatError);
    await writeFile(join(dir, 'manifest.json'), '{"format": "other"}');
    await expect(loadGPTWeights(model, dir)).rejects.toThrow(/manifest\.json.*format/);
    [model, wider, tied].forEach((m) => {
      m.dispose();
    });
  });
});
