import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { loadJsonl } from './jsonl-reader.js';
import { JsonlWriter, writeJsonl } from './jsonl-writer.js';

const root = mkdtempSync(join(tmpdir(), 'dpo-ts-jsonl-writer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const identity = (row: Record<string, unknown>): Record<string, unknown> => row;

describe('JsonlWriter', () => {
  it('writes one JSON object per line and reads back equal', async () => {
    const path = join(root, 'rows.jsonl');
    const rows = [{ a: 1, b: [true, null], c: { d: 'x\ny\r' } }, { a: -0.5 }];
    expect(await writeJsonl(path, rows, identity)).toBe(2);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
    expect(await loadJsonl(path, (object) => object)).toEqual(rows);
  });

  it('refuses values JSON would silently change', async () => {
    const path = join(root, 'bad.jsonl');
    await expect(writeJsonl(path, [{ a: Infinity }], identity)).rejects.toThrow('"a" is Infinity');
    await expect(writeJsonl(path, [{ a: [1, undefined] }], identity)).rejects.toThrow('an array holds undefined');
    await expect(writeJsonl(path, [{ a: () => 1 }], identity)).rejects.toThrow('"a" is a function');
    await expect(writeJsonl(path, [{ a: 1n }], identity)).rejects.toThrow('records[0] must be JSON-serialisable');
  });

  it('keeps a record error recoverable: the writer stays open', async () => {
    const path = join(root, 'recover.jsonl');
    const writer = await JsonlWriter.open(path, identity);
    await expect(writer.append({ a: NaN })).rejects.toThrow('records[0]');
    await writer.append({ a: 1 });
    await writer.close();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
  });

  it('reports I/O failures with the path and cleans up', async () => {
    const blocker = join(root, 'blocker');
    writeFileSync(blocker, 'x');
    await expect(writeJsonl(join(blocker, 'rows.jsonl'), [{ a: 1 }], identity)).rejects.toThrow(
      new RegExp(`^cannot write ${blocker}/rows.jsonl`),
    );
    // The rename fails when the target is a directory: the temporary file must go.
    const directory = join(root, 'rename');
    mkdirSync(join(directory, 'target.jsonl'), { recursive: true });
    const error = await writeJsonl(join(directory, 'target.jsonl'), [{ a: 1 }], identity).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DPOTSError);
    expect(readdirSync(directory)).toEqual(['target.jsonl']);
  });
});
