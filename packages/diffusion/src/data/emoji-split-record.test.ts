import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { afterEach, describe, expect, it } from 'vitest';
import { LEGACY_EMOJI_SPLIT, readTrainedEmojiSplit, requireTrainedOnEmojiSplit } from './emoji-split-record.js';
import { resolveEmojiSplitOptions } from './emoji-split.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function modelWith(training: unknown): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dpo-ts-split-record-'));
  roots.push(root);
  if (training !== undefined)
    await writeFile(join(root, 'training.json'), typeof training === 'string' ? training : JSON.stringify(training));
  return root;
}

describe('resolveEmojiSplitOptions', () => {
  it("fills in the canonical split (10%, seed 0, 'mixed') and names a bad field", () => {
    expect(resolveEmojiSplitOptions()).toEqual({ heldOutFraction: 0.1, seed: 0, hash: 'mixed' });
    expect(resolveEmojiSplitOptions({ hash: 'fnv1a', seed: 2 })).toEqual({
      heldOutFraction: 0.1,
      seed: 2,
      hash: 'fnv1a',
    });
    expect(() => resolveEmojiSplitOptions({ heldOutFraction: 1.5 })).toThrow(/heldOutFraction/);
    expect(() => resolveEmojiSplitOptions({ seed: 0.5 })).toThrow(/seed/);
  });
});

describe('readTrainedEmojiSplit', () => {
  it('reads the recorded split, the legacy FNV-1a split when none is recorded, nothing without training.json', async () => {
    expect(
      await readTrainedEmojiSplit(await modelWith({ split: { heldOutFraction: 0.1, seed: 0, hash: 'mixed' } })),
    ).toEqual({
      heldOutFraction: 0.1,
      seed: 0,
      hash: 'mixed',
    });
    expect(await readTrainedEmojiSplit(await modelWith({ steps: 10 }))).toEqual(LEGACY_EMOJI_SPLIT);
    expect(LEGACY_EMOJI_SPLIT.hash).toBe('fnv1a');
    expect(await readTrainedEmojiSplit(await modelWith(undefined))).toBeUndefined();
  });

  it('names the file when training.json or its split is malformed', async () => {
    const broken = await modelWith('{"split": ');
    await expect(readTrainedEmojiSplit(broken)).rejects.toThrow(DataFormatError);
    await expect(readTrainedEmojiSplit(broken)).rejects.toThrow(join(broken, 'training.json'));
    await expect(readTrainedEmojiSplit(await modelWith({ split: 'mixed' }))).rejects.toThrow(
      /"split" must be an object/,
    );
    await expect(readTrainedEmojiSplit(await modelWith({ split: { hash: 'md5' } }))).rejects.toThrow(
      /"split" is not a valid emoji split: hash must be 'fnv1a' or 'mixed': got "md5"/,
    );
  });
});

describe('readTrainedEmojiSplit before training.json exists', () => {
  const mixed = { heldOutFraction: 0.1, seed: 0, hash: 'mixed' };
  const fnv1a = { heldOutFraction: 0.1, seed: 0, hash: 'fnv1a' };

  it("reads an interim model's config.json metadata, and training.json over it", async () => {
    const interim = await modelWith(undefined);
    await writeFile(join(interim, 'config.json'), JSON.stringify({ metadata: { step: 500, split: fnv1a } }));
    expect(await readTrainedEmojiSplit(interim)).toEqual(fnv1a);
    await expect(requireTrainedOnEmojiSplit(interim, {}, '--model')).rejects.toThrow(
      /--model must be .*hash: 'mixed' }: got ".*" \(its training record names .*hash: 'fnv1a' }; with the emoji scripts, pass --split-hash fnv1a\)/,
    );
    await writeFile(join(interim, 'training.json'), JSON.stringify({ split: mixed }));
    expect(await readTrainedEmojiSplit(interim)).toEqual(mixed);
  });

  it("reads a run checkpoint's manifest metadata, from the step directory or through the run's latest file", async () => {
    const run = await modelWith(undefined);
    await mkdir(join(run, 'step-000500'));
    await mkdir(join(run, 'step-000750'));
    await writeFile(
      join(run, 'step-000500', 'manifest.json'),
      JSON.stringify({ step: 500, metadata: { split: mixed } }),
    );
    await writeFile(
      join(run, 'step-000750', 'manifest.json'),
      JSON.stringify({ step: 750, metadata: { split: fnv1a } }),
    );
    await writeFile(join(run, 'latest'), 'step-000750\n');
    expect(await readTrainedEmojiSplit(run)).toEqual(fnv1a);
    expect(await readTrainedEmojiSplit(join(run, 'step-000500'))).toEqual(mixed);
  });

  it('knows nothing from metadata without a split, and names the file of a malformed one', async () => {
    const old = await modelWith(undefined);
    await writeFile(join(old, 'config.json'), JSON.stringify({ metadata: { step: 500 } }));
    expect(await readTrainedEmojiSplit(old)).toBeUndefined();
    const checkpoint = await modelWith(undefined);
    await writeFile(join(checkpoint, 'manifest.json'), JSON.stringify({ step: 1, metadata: null }));
    expect(await readTrainedEmojiSplit(checkpoint)).toBeUndefined();
    const broken = await modelWith(undefined);
    await writeFile(join(broken, 'config.json'), JSON.stringify({ metadata: { split: { seed: 0.5 } } }));
    await expect(readTrainedEmojiSplit(broken)).rejects.toThrow(DataFormatError);
    await expect(readTrainedEmojiSplit(broken)).rejects.toThrow(
      new RegExp(`${join(broken, 'config.json')}.*"metadata.split" is not a valid emoji split: .*seed`),
    );
  });
});

describe('requireTrainedOnEmojiSplit', () => {
  it('passes on the same split or with nothing recorded, refuses another naming the argument and both splits', async () => {
    const mixed = await modelWith({ split: { heldOutFraction: 0.1, seed: 0, hash: 'mixed' } });
    await requireTrainedOnEmojiSplit(mixed, {}, '--model');
    await requireTrainedOnEmojiSplit(await modelWith(undefined), { hash: 'fnv1a' }, '--model');
    await expect(requireTrainedOnEmojiSplit(mixed, { hash: 'fnv1a' }, '--model')).rejects.toThrow(InvalidArgumentError);
    await expect(requireTrainedOnEmojiSplit(mixed, { hash: 'fnv1a' }, '--model')).rejects.toThrow(
      `--model must be a model trained on the split it is evaluated on, { heldOutFraction: 0.1, seed: 0, hash: 'fnv1a' }: got "${mixed}" (its training record names { heldOutFraction: 0.1, seed: 0, hash: 'mixed' }; with the emoji scripts, pass --split-hash mixed)`,
    );
    const legacy = await modelWith({ steps: 10 });
    await requireTrainedOnEmojiSplit(legacy, { hash: 'fnv1a' }, 'scorer');
    await expect(requireTrainedOnEmojiSplit(legacy, {}, 'scorer')).rejects.toThrow(
      /scorer must be .*hash: 'mixed' }: got ".*" \(its training record names .*hash: 'fnv1a' } \(no "split" field: a model saved before 2026-12-04\); with the emoji scripts, pass --split-hash fnv1a\)/,
    );
    // Another seed: no --split-hash hint, since the flag does not set it.
    await expect(requireTrainedOnEmojiSplit(mixed, { seed: 1 }, 'model')).rejects.toThrow(/names \{[^}]*\}\)$/);
  });

  it('finds every committed emoji model trained on the canonical split', async () => {
    for (const name of [
      'emoji-autoencoder',
      'emoji-clip',
      'emoji-clip-oracle',
      'emoji-style',
      'emoji-style-oracle',
      'emoji-t2i',
    ]) {
      const directory = fileURLToPath(new URL(`../../checkpoints/${name}`, import.meta.url));
      expect(await readTrainedEmojiSplit(directory)).toEqual({ heldOutFraction: 0.1, seed: 0, hash: 'mixed' });
    }
  });
});
