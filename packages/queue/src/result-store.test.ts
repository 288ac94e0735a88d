import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileResultStore } from './result-store.js';

const KEY = 'ab'.repeat(32);

describe('FileResultStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dpo-ts-results-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores and reads results by key, across instances', async () => {
    await new FileResultStore(dir).put({ key: KEY, kind: 'k', result: { x: [1, 2] } });
    expect(await new FileResultStore(dir).get(KEY)).toEqual({ key: KEY, kind: 'k', result: { x: [1, 2] } });
    expect(await new FileResultStore(dir).get('cd'.repeat(32))).toBeUndefined();
  });

  it('refuses keys that are not job keys, and names a corrupt file', async () => {
    const store = new FileResultStore(dir);
    await expect(store.get('../x')).rejects.toThrow('key must be a job key (64 lowercase hex digits): got "../x"');
    mkdirSync(join(dir, 'ab'));
    writeFileSync(join(dir, 'ab', `${KEY}.json`), '{"format":"other"}');
    await expect(store.get(KEY)).rejects.toThrow(DataFormatError);
    await expect(store.get(KEY)).rejects.toThrow(`${KEY}.json`);
  });
});
