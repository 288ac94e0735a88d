import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteBPETokenizer } from './byte-bpe-tokenizer.js';
import { CharTokenizer } from './char-tokenizer.js';
import { loadTokenizer, saveTokenizer, tokenizerFromJSON } from './tokenizer-io.js';

describe('tokenizer save/load', () => {
  const folder = mkdtemp(join(tmpdir(), 'dpo-ts-lm-tokenizer-'));
  afterAll(async () => rm(await folder, { recursive: true, force: true }));

  it('saves and loads both tokenizer types, leaving no temporary file', async () => {
    const dir = await folder;
    for (const tokenizer of [
      CharTokenizer.fromCorpus('abc def'),
      ByteBPETokenizer.train('abc abc abd', { vocabSize: 270 }),
    ]) {
      const path = join(dir, `${tokenizer.type}.json`);
      await saveTokenizer(path, tokenizer);
      const loaded = await loadTokenizer(path);
      expect(loaded.type).toBe(tokenizer.type);
      expect(loaded.toJSON()).toEqual(tokenizer.toJSON());
      expect(loaded.encode('abc fed')).toEqual(tokenizer.encode('abc fed'));
    }
    expect((await readdir(dir)).sort()).toEqual(['byte-bpe.json', 'char.json']);
  });

  it('names the file when the JSON is bad', async () => {
    const path = join(await folder, 'bad.json');
    await writeFile(path, '{"type": "char", "version": 1');
    await expect(loadTokenizer(path)).rejects.toThrow(DataFormatError);
    await writeFile(path, '{"type": "wordpiece"}');
    await expect(loadTokenizer(path)).rejects.toThrow(/bad\.json.*json\.type/);
    expect(() => tokenizerFromJSON({ type: 'nope' } as never)).toThrow(/json\.type/);
  });
});
