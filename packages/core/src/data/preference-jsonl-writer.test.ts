import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { classLabelField } from './class-label-field.js';
import type { ChatMessage } from './conversational-field.js';
import type { ImageReference } from './image-field.js';
import { imageField } from './image-field.js';
import { loadPreferenceJsonl } from './preference-jsonl-reader.js';
import { openPreferenceJsonlWriter, writePreferenceJsonl } from './preference-jsonl-writer.js';
import type { PreferenceRecord, PreferenceSchema } from './preference-record.js';
import { CONVERSATIONAL_PREFERENCE_SCHEMA } from './preference-record.js';

const root = mkdtempSync(join(tmpdir(), 'dpo-ts-writer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDirectory = (): string => mkdtempSync(join(root, `d${dirCount++}-`));

const PNG_URL = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]).toString('base64')}`;

describe('writePreferenceJsonl', () => {
  it('round-trips text pairs with extra fields, unicode and empty completions', async () => {
    const path = join(freshDirectory(), 'pairs.jsonl');
    const records: PreferenceRecord[] = [
      {
        prompt: 'Line 1\nline 2 "quoted" \u2028 é 😀',
        chosen: '',
        rejected: 'no',
        extra: { margin: 0.25, tags: ['a'] },
      },
      { prompt: 'p', chosen: 'c', rejected: 'c', extra: {} },
    ];
    expect(await writePreferenceJsonl(path, records)).toBe(2);
    expect(await loadPreferenceJsonl(path)).toEqual(records);
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe('{"prompt":"p","chosen":"c","rejected":"c"}');
  });

  it('round-trips conversational, class-label and image pairs', async () => {
    const directory = freshDirectory();
    const chat: PreferenceRecord<ChatMessage[], ChatMessage[]>[] = [
      {
        prompt: [{ role: 'user', content: 'Sky?' }],
        chosen: [{ role: 'assistant', content: 'Blue.', tool_calls: [] }],
        rejected: [{ role: 'assistant', content: '' }],
        extra: { id: 7 },
      },
    ];
    await writePreferenceJsonl(join(directory, 'chat.jsonl'), chat, CONVERSATIONAL_PREFERENCE_SCHEMA);
    expect(await loadPreferenceJsonl(join(directory, 'chat.jsonl'), CONVERSATIONAL_PREFERENCE_SCHEMA)).toEqual(chat);

    const schema: PreferenceSchema<number, ImageReference> = {
      prompt: classLabelField({ numClasses: 10 }),
      response: imageField(),
    };
    const images: PreferenceRecord<number, ImageReference>[] = [
      {
        prompt: 4,
        chosen: { kind: 'file', path: join(directory, 'img', '4a.png') },
        rejected: { kind: 'data-url', url: PNG_URL },
        extra: {},
      },
    ];
    await writePreferenceJsonl(join(directory, 'images.jsonl'), images, schema);
    expect(readFileSync(join(directory, 'images.jsonl'), 'utf8')).toContain('"chosen":"img/4a.png"');
    expect(await loadPreferenceJsonl(join(directory, 'images.jsonl'), schema)).toEqual(images);
  });

  it('copies a file through read and write byte for byte, odd keys included', async () => {
    const directory = freshDirectory();
    const original = '{"prompt":"p","chosen":"c","rejected":"r","__proto__":{"x":1},"constructor":2}\n';
    writeFileSync(join(directory, 'in.jsonl'), original);
    const pairs = await loadPreferenceJsonl(join(directory, 'in.jsonl'));
    expect(Object.getPrototypeOf(pairs[0]?.extra)).toBe(Object.prototype);
    await writePreferenceJsonl(join(directory, 'out.jsonl'), pairs);
    expect(readFileSync(join(directory, 'out.jsonl'), 'utf8')).toBe(original);
  });

  it('accepts records without extra and async iterables', async () => {
    const path = join(freshDirectory(), 'nested', 'deeper', 'pairs.jsonl');
    async function* generate() {
      for (let i = 0; i < 3; i++) yield { prompt: `p${i}`, chosen: 'c', rejected: 'r' };
    }
    expect(await writePreferenceJsonl(path, generate())).toBe(3);
    expect((await loadPreferenceJsonl(path)).map((pair) => pair.extra)).toEqual([{}, {}, {}]);
  });

  it('names the record and field of an invalid pair', async () => {
    const path = join(freshDirectory(), 'pairs.jsonl');
    const bad = [
      { prompt: 'p', chosen: 'c', rejected: 'r' },
      { prompt: 'p', chosen: 3 as unknown as string, rejected: 'r' },
    ];
    await expect(writePreferenceJsonl(path, bad)).rejects.toThrow('records[1].chosen must be a string: got 3');
    await expect(writePreferenceJsonl(path, [{ prompt: '', chosen: 'c', rejected: 'r' }])).rejects.toThrow(
      'records[0].prompt must be a non-empty string: got ""',
    );
    await expect(
      writePreferenceJsonl(path, [{ prompt: 'p', chosen: 'c', rejected: 'r', extra: { chosen: 'x' } }]),
    ).rejects.toThrow('records[0].extra must be an object without the schema field "chosen"');
    await expect(
      writePreferenceJsonl(path, [{ prompt: 'p', chosen: 'c', rejected: 'r', extra: { margin: NaN } }]),
    ).rejects.toThrow(/records\[0\] must be JSON-serialisable.*"margin" is NaN/);
    await expect(writePreferenceJsonl(path, [])).rejects.toThrow(InvalidArgumentError);
    expect(readdirSync(join(path, '..'))).toEqual([]);
  });

  it('leaves an existing file intact and no temporary file when writing fails midway', async () => {
    const directory = freshDirectory();
    const path = join(directory, 'pairs.jsonl');
    writeFileSync(path, 'original\n');
    // Enough records to flush several chunks to the temporary file before the failure.
    async function* failing() {
      for (let i = 0; i < 20_000; i++) yield { prompt: `prompt ${i}`, chosen: 'chosen', rejected: 'rejected' };
      throw new Error('sampler crashed');
    }
    await expect(writePreferenceJsonl(path, failing())).rejects.toThrow('sampler crashed');
    const invalidAtTheEnd = Array.from({ length: 5_000 }, (_, i) => ({
      prompt: `p${i}`,
      chosen: i < 4_999 ? 'c' : (null as never),
      rejected: 'r',
    }));
    await expect(writePreferenceJsonl(path, invalidAtTheEnd)).rejects.toThrow('records[4999].chosen');
    expect(readFileSync(path, 'utf8')).toBe('original\n');
    expect(readdirSync(directory)).toEqual(['pairs.jsonl']);
  });

  it('replaces an existing file atomically and leaves nothing else behind', async () => {
    const directory = freshDirectory();
    const path = join(directory, 'pairs.jsonl');
    writeFileSync(path, 'original\n');
    await writePreferenceJsonl(path, [{ prompt: 'p', chosen: 'c', rejected: 'r' }]);
    expect(readFileSync(path, 'utf8')).toBe('{"prompt":"p","chosen":"c","rejected":"r"}\n');
    expect(readdirSync(directory)).toEqual(['pairs.jsonl']);
  });
});

describe('openPreferenceJsonlWriter', () => {
  it('streams pairs into a file that appears only on close', async () => {
    const directory = freshDirectory();
    const path = join(directory, 'sampled.jsonl');
    const writer = await openPreferenceJsonlWriter(path);
    for (let i = 0; i < 1000; i++)
      await writer.append({ prompt: `p${i}`, chosen: 'c', rejected: 'r', extra: { step: i } });
    await expect(writer.append({ prompt: 'p', chosen: 1 as never, rejected: 'r' })).rejects.toThrow(
      'records[1000].chosen',
    );
    expect(writer.count).toBe(1000);
    expect(readdirSync(directory).filter((name) => name === 'sampled.jsonl')).toEqual([]);
    await writer.close();
    await writer.abort(); // no-op once closed
    const pairs = await loadPreferenceJsonl(path);
    expect(pairs).toHaveLength(1000);
    expect(pairs[999]?.extra).toEqual({ step: 999 });
    expect(readdirSync(directory)).toEqual(['sampled.jsonl']);
    await expect(writer.append({ prompt: 'p', chosen: 'c', rejected: 'r' })).rejects.toThrow('the writer is closed');
  });

  it('abort discards everything', async () => {
    const directory = freshDirectory();
    const writer = await openPreferenceJsonlWriter(join(directory, 'x.jsonl'));
    await writer.append({ prompt: 'p', chosen: 'c', rejected: 'r' });
    await writer.abort();
    expect(readdirSync(directory)).toEqual([]);
    await expect(writer.close()).rejects.toThrow('the writer is aborted');
  });
});
