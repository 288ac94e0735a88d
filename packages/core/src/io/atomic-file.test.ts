import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDirectoryAtomic, writeFileAtomic } from './atomic-file.js';

async function scratch(): Promise<string> {
  return fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-io-'));
}

describe('atomic writes', () => {
  it('writeFileAtomic replaces a file and leaves no temporary behind', async () => {
    const dir = await scratch();
    const file = path.join(dir, 'a.json');
    await writeFileAtomic(file, 'old');
    await writeFileAtomic(file, new Uint8Array([110, 101, 119]));
    expect(await fs.readFile(file, 'utf8')).toBe('new');
    expect(await fs.readdir(dir)).toEqual(['a.json']);
  });

  it('writeFileAtomic creates missing parent directories', async () => {
    const dir = await scratch();
    await writeFileAtomic(path.join(dir, 'runs', 'nested', 'ref.json'), '{}');
    expect(await fs.readFile(path.join(dir, 'runs', 'nested', 'ref.json'), 'utf8')).toBe('{}');
    expect(await fs.readdir(path.join(dir, 'runs', 'nested'))).toEqual(['ref.json']);
  });

  it('writeDirectoryAtomic writes all files or none, replacing an existing directory', async () => {
    const dir = await scratch();
    const target = path.join(dir, 'nested', 'model');
    await writeDirectoryAtomic(target, { 'config.json': '{"a":1}', 'weights.bin': new Uint8Array([1, 2, 3]) });
    await writeDirectoryAtomic(target, { 'config.json': '{"a":2}', 'weights.bin': new Uint8Array([4]) });
    expect(await fs.readFile(path.join(target, 'config.json'), 'utf8')).toBe('{"a":2}');
    expect([...(await fs.readFile(path.join(target, 'weights.bin')))]).toEqual([4]);
    // A bad file name fails before anything replaces the existing directory.
    await expect(writeDirectoryAtomic(target, { 'ok.txt': 'x', '../escape': 'y' })).rejects.toThrow(
      'files must be plain file names without separators: got "../escape"',
    );
    expect((await fs.readdir(target)).sort()).toEqual(['config.json', 'weights.bin']);
    expect(await fs.readdir(path.join(dir, 'nested'))).toEqual(['model']);
  });
});
