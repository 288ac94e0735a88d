import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { conversationalField } from './conversational-field.js';
import { loadTextJsonl, writeTextJsonl } from './text-jsonl.js';

const root = mkdtempSync(join(tmpdir(), 'dpo-ts-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('text JSONL (SFT)', () => {
  it('round-trips texts with extra fields', async () => {
    const path = join(root, 'corpus.jsonl');
    const records = [
      { text: 'The sky is blue.', extra: { source: 'brown' } },
      { text: 'Ünïcode\n', extra: {} },
    ];
    expect(await writeTextJsonl(path, records)).toBe(2);
    expect(await loadTextJsonl(path)).toEqual(records);
  });

  it('rejects a missing, mistyped or empty text with file and line', async () => {
    const path = join(root, 'bad.jsonl');
    writeFileSync(path, '{"text": "ok"}\n{"txt": "typo"}\n');
    await expect(loadTextJsonl(path)).rejects.toThrow(`${path}:2: missing field "text" (expected a non-empty string)`);
    writeFileSync(path, '{"text": ""}\n');
    await expect(loadTextJsonl(path)).rejects.toThrow(DataFormatError);
    writeFileSync(path, '{"text": ["a"]}\n');
    await expect(loadTextJsonl(path)).rejects.toThrow('field "text" must be a non-empty string: got ["a"]');
  });

  it('accepts another codec, such as chat messages', async () => {
    const path = join(root, 'chat.jsonl');
    const records = [
      {
        text: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
        extra: {},
      },
    ];
    await writeTextJsonl(path, records, conversationalField());
    expect(await loadTextJsonl(path, conversationalField())).toEqual(records);
  });
});
