import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { loadNamedWeights } from './named-weights.js';
import { readSavedModelManifest, SAVED_MODEL_FILE, saveTrainedModel } from './saved-model.js';

async function scratch(): Promise<string> {
  return fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-saved-model-'));
}

describe('saveTrainedModel / readSavedModelManifest', () => {
  it('writes weights, the modality files and trainer.json, and reads the manifest back', async () => {
    const dir = path.join(await scratch(), 'model');
    const w = tf.tensor2d([
      [1.5, -2],
      [0.25, 3],
    ]);
    await expectNoLeak(() =>
      saveTrainedModel(dir, {
        kind: 'dpo',
        modality: 'lm',
        trainerConfig: { beta: 0.1, loss: { type: 'sigmoid' }, fn: () => 1, missing: undefined },
        step: 7,
        weights: new Map([['w', w]]),
        files: { 'config.json': '{"a":1}\n' },
      }),
    );
    w.dispose();
    expect((await fs.readdir(dir)).sort()).toEqual(['config.json', 'manifest.json', SAVED_MODEL_FILE, 'weights.bin']);
    const manifest = await readSavedModelManifest(dir, { modality: 'lm' });
    expect(manifest).toEqual({
      format: 'dpo-ts.saved-model',
      version: 1,
      kind: 'dpo',
      modality: 'lm',
      trainerConfig: { beta: 0.1, loss: { type: 'sigmoid' } },
      step: 7,
    });
    const { weights } = await loadNamedWeights(dir);
    expect([...weights.get('w')!.values]).toEqual([1.5, -2, 0.25, 3]);
  });

  it('refuses a directory without trainer.json, naming dir', async () => {
    const dir = await scratch();
    const error = await readSavedModelManifest(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('dir');
    expect((error as Error).message).toContain(`no ${path.join(dir, SAVED_MODEL_FILE)}`);
  });

  it('refuses another modality, naming both', async () => {
    const dir = path.join(await scratch(), 'model');
    await saveTrainedModel(dir, {
      kind: 'diffusion-dpo',
      modality: 'diffusion',
      trainerConfig: {},
      weights: new Map(),
    });
    await expect(readSavedModelManifest(dir, { modality: 'lm' })).rejects.toThrow(
      `dir must be a saved lm model: got "${dir}" (${path.join(dir, SAVED_MODEL_FILE)} says a diffusion model written by the diffusion-dpo trainer)`,
    );
  });

  it('names the file and the field of a malformed manifest', async () => {
    const dir = await scratch();
    const file = path.join(dir, SAVED_MODEL_FILE);
    await fs.writeFile(file, '{"format":"dpo-ts.saved-model","version":2}');
    const error = await readSavedModelManifest(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('version must be 1: got 2');
    await fs.writeFile(file, '{"format":"dpo-ts.saved-model","version":1,"kind":"dpo","modality":"lm","step":-1}');
    await expect(readSavedModelManifest(dir)).rejects.toThrow('step must be an integer >= 0: got -1');
    await fs.writeFile(file, 'not json');
    await expect(readSavedModelManifest(dir)).rejects.toThrow('not valid JSON');
  });

  it('a failed save leaves the previous model intact', async () => {
    const dir = path.join(await scratch(), 'model');
    const w = tf.tensor1d([1, 2, 3]);
    await saveTrainedModel(dir, { kind: 'sft', modality: 'lm', trainerConfig: {}, weights: new Map([['w', w]]) });
    const before = await fs.readFile(path.join(dir, 'weights.bin'));
    // A file name with a separator fails after the weights are encoded, before the rename.
    await expect(
      saveTrainedModel(dir, {
        kind: 'dpo',
        modality: 'lm',
        trainerConfig: {},
        weights: new Map([['w', w]]),
        files: { '../escape.json': '{}' },
      }),
    ).rejects.toThrow('files must be plain file names');
    w.dispose();
    expect(await fs.readFile(path.join(dir, 'weights.bin'))).toEqual(before);
    expect((await readSavedModelManifest(dir)).kind).toBe('sft');
    expect(await fs.readdir(path.dirname(dir))).toEqual(['model']);
  });

  it('names a malformed kind or step', async () => {
    const weights = new Map<string, tf.Tensor>();
    await expect(saveTrainedModel('x', { kind: 'DPO', modality: 'lm', trainerConfig: {}, weights })).rejects.toThrow(
      'options.kind must be a kebab-case name: got "DPO"',
    );
    await expect(
      saveTrainedModel('x', { kind: 'dpo', modality: 'lm', trainerConfig: {}, weights, step: 1.5 }),
    ).rejects.toThrow('options.step must be an integer >= 0: got 1.5');
  });
});
