import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@dpo-ts/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmojiDataset, splitEmojiDataset } from '@dpo-ts/diffusion';
import {
  loadTextToImageBase,
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
});

describe('loadTextToImageBase', () => {
  it('reads the committed finished base (saved model, 20,000 steps; the run-checkpoint path is tested in diffusion)', async () => {
    const split = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
    expect(textToImageBaseDirectory()).toBe(TEXT_TO_IMAGE_BASE_MODEL);
    const base = await loadTextToImageBase(split);
    try {
      expect(base.kind).toBe('saved-model');
      expect(base.step).toBe(20000);
      expect(base.model.encoder.parameterCount()).toBe(203392);
      expect(base.model.denoiser.parameterCount()).toBe(400516);
    } finally {
      for (const network of [base.model.encoder, base.model.denoiser, base.autoencoder.autoencoder]) network.dispose();
    }
  });
});
