import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { checksumScoreEntries, combineFingerprintParts } from './fingerprint.js';
import { ReferenceScoreCache } from './reference-score-cache.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-score-cache-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));
let count = 0;
const fresh = (): string => path.join(root, `cache-${count++}.json`);
const PARTS = { model: 'gpt:nHead=4', weights: 'w1', scoring: 'sum', 'data/train': 'd1', backend: 'tfjs-backend:cpu' };

async function saved(file: string, parts = PARTS): Promise<void> {
  const cache = await ReferenceScoreCache.open(file, parts);
  cache.set('train:0', { chosen: -12.5, rejected: -14.25 });
  cache.set('train:1', { chosen: -3.0000001, rejected: -2 });
  await cache.save();
}

describe('ReferenceScoreCache', () => {
  it('reuses a file only under the same fingerprint parts, whatever their order', async () => {
    const file = fresh();
    await saved(file);
    const reversed = Object.fromEntries(Object.entries(PARTS).reverse());
    const loaded = await ReferenceScoreCache.open(file, reversed);
    expect(loaded.status).toBe('loaded');
    expect(loaded.get('train:1')).toEqual({ chosen: -3.0000001, rejected: -2 });
    expect(loaded.fingerprint).toBe(combineFingerprintParts(PARTS));
  });

  it('is a clear miss, naming the parts that differ, when any part changes or one is added', async () => {
    const file = fresh();
    await saved(file);
    for (const [changed, parts] of [
      ['model', { ...PARTS, model: 'gpt:nHead=2' }],
      ['backend', { ...PARTS, backend: 'tfjs-backend:wasm' }],
      ['scoring, weights', { ...PARTS, scoring: 'mean', weights: 'w2' }],
      ['tokenizer', { ...PARTS, tokenizer: 't1' }],
    ] as const) {
      const cache = await ReferenceScoreCache.open(file, parts);
      expect(cache.status).toBe('invalidated');
      expect(cache.size).toBe(0);
      expect(cache.get('train:0')).toBeUndefined();
      expect(cache.invalidation).toBe(`fingerprint parts that differ: ${changed}`);
    }
  });

  it('detects a value edited by hand (content checksum)', async () => {
    const file = fresh();
    await saved(file);
    const body = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(body.checksum).toBe(
      checksumScoreEntries(
        body.fingerprint,
        new Map([
          ['train:0', { chosen: -12.5, rejected: -14.25 }],
          ['train:1', { chosen: -3.0000001, rejected: -2 }],
        ]),
      ),
    );
    body.entries['train:1'][0] = -3; // a tiny edit
    await fs.writeFile(file, JSON.stringify(body));
    const error = await ReferenceScoreCache.open(file, PARTS).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).file).toBe(file);
    expect((error as Error).message).toMatch(/do not match their checksum .*delete the file to rebuild it/);
    delete body.entries['train:1']; // a removed entry, too
    await fs.writeFile(file, JSON.stringify(body));
    await expect(ReferenceScoreCache.open(file, PARTS)).rejects.toThrow(/checksum/);
  });

  it('invalidates version-1 files (no architecture in their fingerprint) and refuses unknown versions', async () => {
    const file = fresh();
    await fs.writeFile(
      file,
      JSON.stringify({ format: 'dpo-ts-reference-scores', version: 1, fingerprint: 'x', entries: { a: [1, 2] } }),
    );
    const old = await ReferenceScoreCache.open(file, PARTS);
    expect([old.status, old.size]).toEqual(['invalidated', 0]);
    expect(old.invalidation).toMatch(/format version 1/);
    await fs.writeFile(file, JSON.stringify({ format: 'dpo-ts-reference-scores', version: 3, entries: {} }));
    await expect(ReferenceScoreCache.open(file, PARTS)).rejects.toThrow(
      `${file}: expected a dpo-ts-reference-scores file of version 1 or 2: got format "dpo-ts-reference-scores" version 3`,
    );
  });

  it('checks the path is writable before anything is computed, naming the argument', async () => {
    const argument = { argument: 'options.referenceCacheFile' };
    const cases: [string, string][] = [
      [root, 'it is a directory'],
      [path.join(root, 'missing', 'scores.json'), `directory ${path.join(root, 'missing')} does not exist`],
    ];
    for (const [file, reason] of cases) {
      const error = await ReferenceScoreCache.open(file, PARTS, argument).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toBe(
        `options.referenceCacheFile must be a writable file path in an existing directory: got ${JSON.stringify(file)} (${reason})`,
      );
    }
    const notADirectory = fresh();
    await fs.writeFile(notADirectory, 'x');
    await expect(ReferenceScoreCache.open(path.join(notADirectory, 'scores.json'), PARTS)).rejects.toThrow(
      /^file must be a writable file path .*is not a directory/,
    );
  });
});
