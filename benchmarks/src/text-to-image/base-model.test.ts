import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { selectBackend } from '@dpo-ts/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmojiDataset, splitEmojiDataset } from '@dpo-ts/diffusion';
import { InvalidArgumentError } from '@dpo-ts/core';
import {
  loadTextToImageBase,
  TEXT_TO_IMAGE_BASE_ENV,
  TEXT_TO_IMAGE_BASE_MODEL,
  textToImageBaseDirectory,
  textToImageBaseId,
} from './base-model.js';

const roots: string[] = [];
beforeAll(async () => {
  await selectBackend({ backend: 'cpu', quiet: true });
});
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe('textToImageBaseDirectory / textToImageBaseId', () => {
  it('prefers a finished saved model, identified by the hash of its weights, else the run checkpoint by its latest step', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-base-'));
    roots.push(root);
    const saved = join(root, 'emoji-t2i');
    const run = join(root, 'emoji-t2i-run');
    await mkdir(run, { recursive: true });
    await writeFile(join(run, 'latest'), 'step-000042\n');
    expect(textToImageBaseDirectory(saved, run)).toBe(run);
    expect(textToImageBaseId(run)).toBe('run-checkpoint:step-000042');
    await mkdir(saved);
    await writeFile(join(saved, 'config.json'), '{}');
    await writeFile(join(saved, 'weights.bin'), 'abc');
    expect(textToImageBaseDirectory(saved, run)).toBe(saved);
    const sha = createHash('sha256').update('abc').digest('hex');
    expect(textToImageBaseId(saved)).toBe(`saved-model:${sha.slice(0, 16)}`);
  });

  it(`reads ${TEXT_TO_IMAGE_BASE_ENV} first (as an absolute path), still identified by its weights' hash`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-base-'));
    roots.push(root);
    const other = join(root, 'interim');
    await mkdir(other);
    await writeFile(join(other, 'config.json'), '{}');
    await writeFile(join(other, 'weights.bin'), 'xyz');
    const environment = { [TEXT_TO_IMAGE_BASE_ENV]: ` ${relative(process.cwd(), other)} ` };
    const directory = textToImageBaseDirectory(TEXT_TO_IMAGE_BASE_MODEL, join(root, 'run'), environment);
    expect(directory).toBe(other);
    const sha = createHash('sha256').update('xyz').digest('hex');
    expect(textToImageBaseId(directory)).toBe(`saved-model:${sha.slice(0, 16)}`);
    // Unset or empty: the committed base.
    expect(textToImageBaseDirectory(TEXT_TO_IMAGE_BASE_MODEL, join(root, 'run'), {})).toBe(TEXT_TO_IMAGE_BASE_MODEL);
    expect(
      textToImageBaseDirectory(TEXT_TO_IMAGE_BASE_MODEL, join(root, 'run'), { [TEXT_TO_IMAGE_BASE_ENV]: '' }),
    ).toBe(TEXT_TO_IMAGE_BASE_MODEL);
  });

  it(`fails naming ${TEXT_TO_IMAGE_BASE_ENV} when it points at a missing directory or at no saved model`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-base-'));
    roots.push(root);
    const missing = join(root, 'nowhere');
    const read = (value: string) =>
      textToImageBaseDirectory(TEXT_TO_IMAGE_BASE_MODEL, join(root, 'run'), { [TEXT_TO_IMAGE_BASE_ENV]: value });
    expect(() => read(missing)).toThrow(InvalidArgumentError);
    expect(() => read(missing)).toThrow(
      `${TEXT_TO_IMAGE_BASE_ENV} must be the directory of a saved text-to-image model (with config.json or trainer.json): got "${missing}" (no such directory)`,
    );
    expect(() => read(root)).toThrow(/DPO_TS_T2I_BASE must be .*\(it holds neither file\)/);
  });
});

describe('loadTextToImageBase', () => {
  it('reads the committed finished base as its training.json describes it (the run-checkpoint path is tested in diffusion)', async () => {
    const split = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
    expect(textToImageBaseDirectory(undefined, undefined, {})).toBe(TEXT_TO_IMAGE_BASE_MODEL);
    // Whichever base is committed (format-1 width 64 or format-2 width 96): steps and sizes as trained.
    const training = JSON.parse(await readFile(join(TEXT_TO_IMAGE_BASE_MODEL, 'training.json'), 'utf8'));
    const base = await loadTextToImageBase(split, TEXT_TO_IMAGE_BASE_MODEL);
    try {
      expect(base.kind).toBe('saved-model');
      expect(base.step).toBe(training.steps);
      expect(base.model.encoder.parameterCount()).toBe(training.parameters.encoder);
      expect(base.model.denoiser.parameterCount()).toBe(training.parameters.denoiser);
      // The caption encoder reads as many ids per word as the tokenizer writes.
      expect(base.model.encoder.config.featuresPerToken).toBe(base.model.tokenizer.featuresPerWord);
      expect(base.model.encoder.config.vocabSize).toBe(base.model.tokenizer.vocabSize);
    } finally {
      for (const network of [base.model.encoder, base.model.denoiser, base.autoencoder.autoencoder]) network.dispose();
    }
    // A base trained on the earlier FNV-1a split has seen held-out emoji of this one: refused.
    const root = await mkdtemp(join(tmpdir(), 'dpo-ts-t2i-base-'));
    roots.push(root);
    await writeFile(
      join(root, 'training.json'),
      JSON.stringify({ split: { heldOutFraction: 0.1, seed: 0, hash: 'fnv1a' } }),
    );
    await expect(loadTextToImageBase(split, root)).rejects.toThrow(
      /the text-to-image base must be a model trained on the split it is evaluated on, .*hash: 'mixed' }.*training record names .*hash: 'fnv1a' }/,
    );
  });
});
