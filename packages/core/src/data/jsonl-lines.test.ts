import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { printableText } from '../errors/printable-text.js';
import { decodeJsonlLines, firstInvalidUtf8Offset } from './jsonl-lines.js';
import { loadPreferenceJsonl } from './preference-jsonl-reader.js';
import { loadTextJsonl } from './text-jsonl.js';
import { decodeUtf8Text } from './utf8-text.js';

const directory = mkdtempSync(join(tmpdir(), 'dpo-ts-lines-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileCount = 0;
function fixture(content: string | Buffer): string {
  const path = join(directory, `f${fileCount++}.jsonl`);
  writeFileSync(path, content);
  return path;
}

/** The lines of `bytes` fed in chunks of `chunkSize` bytes. */
async function lines(bytes: Buffer, chunkSize: number, maxLineBytes?: number): Promise<string[]> {
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: string[] = [];
  for await (const line of decodeJsonlLines(chunks(), 'x.jsonl', maxLineBytes)) out.push(line.text);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<DataFormatError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DataFormatError);
  return error as DataFormatError;
}

describe('decodeJsonlLines', () => {
  it('gives the same lines for every chunking, multi-byte characters split across chunks included', async () => {
    const bytes = Buffer.from('\uFEFFa\u00e9\r\nb\u{1F600}c\n\ne\r\u00e9\n\uFEFFz', 'utf8');
    const expected = ['a\u00e9', 'b\u{1F600}c', '', 'e\r\u00e9', '\uFEFFz']; // BOM dropped on line 1 only
    for (const size of [1, 2, 3, 5, 64]) expect(await lines(bytes, size)).toEqual(expected);
  });

  it('refuses invalid UTF-8 at the line that holds it, with the byte offset', async () => {
    const bytes = Buffer.concat([Buffer.from('ok\nstill ok\ncaf'), Buffer.from([0xe9]), Buffer.from('\nlater\n')]);
    const error = await rejection(lines(bytes, 4));
    expect(error.line).toBe(3);
    expect(error.reason).toBe('invalid UTF-8 at byte 3 of the line (the file must be UTF-8 encoded)');
  });

  it('finds the first invalid byte of overlong forms, surrogates and truncated sequences', () => {
    expect(firstInvalidUtf8Offset(Buffer.from('h\u00e9\u{10FFFF}', 'utf8'))).toBe(7); // valid: length
    expect(firstInvalidUtf8Offset(Buffer.from([0x41, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8Offset(Buffer.from([0xe0, 0x80, 0xaf]))).toBe(0); // overlong 3-byte
    expect(firstInvalidUtf8Offset(Buffer.from([0x41, 0x42, 0xed, 0xa0, 0x80]))).toBe(2); // U+D800
    expect(firstInvalidUtf8Offset(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // > U+10FFFF
    expect(firstInvalidUtf8Offset(Buffer.from([0x41, 0xe2, 0x82]))).toBe(1); // truncated
    expect(firstInvalidUtf8Offset(Buffer.from([0x80]))).toBe(0); // lone continuation
  });

  it('stops a line at maxLineBytes without buffering the rest', async () => {
    const error = await rejection(lines(Buffer.from(`short\n${'x'.repeat(100)}\n`), 7, 50));
    expect(error.line).toBe(2);
    expect(error.reason).toBe('line is longer than maxLineBytes (50 bytes)');
    expect(await lines(Buffer.from(`${'x'.repeat(50)}\r\n`), 7, 51)).toEqual(['x'.repeat(50)]);
  });
});

describe('the JSONL readers decode strictly', () => {
  const pair = (prompt: string) => JSON.stringify({ prompt, chosen: 'c', rejected: 'r' });

  it('rejects Latin-1 "café" instead of loading "caf\\uFFFD"', async () => {
    const path = fixture(Buffer.concat([Buffer.from('{"text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    const error = await rejection(loadTextJsonl(path));
    expect([error.file, error.line]).toEqual([path, 1]);
    expect(error.message).toContain('invalid UTF-8');
  });

  it('names the bad line, not a later one, when the bad byte ends a line', async () => {
    const path = fixture(
      Buffer.concat([
        Buffer.from(`${pair('a')}\n{"prompt": "b`),
        Buffer.from([0xc3]),
        Buffer.from(`", "chosen": "c", "rejected": "r"}\n${pair('c')}\n`),
      ]),
    );
    expect((await rejection(loadPreferenceJsonl(path))).line).toBe(2);
  });

  it('never splits a record at a lone CR; refuses CR-only files at line 1 with a hint', async () => {
    // CR between tokens is JSON whitespace: one valid record.
    expect(await loadPreferenceJsonl(fixture(`{"prompt": "p",\r"chosen": "c", "rejected": "r"}\n`))).toHaveLength(1);
    // CR inside a string is a raw control character: an error at that record's line.
    const inString = fixture(`${pair('a')}\n{"prompt": "x\ry", "chosen": "c", "rejected": "r"}\n`);
    const error = await rejection(loadPreferenceJsonl(inString));
    expect(error.line).toBe(2);
    expect(error.message).not.toContain('\r');
    const crOnly = fixture(`${pair('a')}\r${pair('b')}\r`);
    const crError = await rejection(loadPreferenceJsonl(crOnly));
    expect(crError.line).toBe(1);
    expect(crError.reason).toContain('CR-only line endings are not supported');
  });

  it('counts only JSON whitespace as blank: a line of no-break spaces is an error, even at the end', async () => {
    const error = await rejection(loadTextJsonl(fixture('{"text": "a"}\n\u00a0\n')));
    expect(error.line).toBe(2);
    expect(error.reason).toMatch(/^invalid JSON/);
    expect(await loadTextJsonl(fixture('{"text": "a"}\n \t\r\n\n'))).toHaveLength(1);
  });

  it('escapes control bytes from the file in messages', async () => {
    const path = fixture('{"text": "ok"}\n\u001b[2J\u0000{"text": 1}\n');
    const error = await rejection(loadTextJsonl(path));
    expect(error.line).toBe(2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserts that no raw control character reaches the error message
    expect(error.message).not.toMatch(/[\u0000-\u0008\u000a-\u001f]/);
    expect(error.message).toContain('\\x1b');
  });
});

describe('decodeUtf8Text', () => {
  it('decodes valid UTF-8 (a BOM kept) and names the line and offset of invalid bytes', () => {
    expect(decodeUtf8Text(Buffer.from('\uFEFFa,b\nc\u00e9,d\n', 'utf8'), 'x.csv')).toBe('\uFEFFa,b\nc\u00e9,d\n');
    const bytes = Buffer.concat([Buffer.from('home,away\nA,B\ncaf'), Buffer.from([0xe9]), Buffer.from(',D\nE,F\n')]);
    let error: unknown;
    try {
      decodeUtf8Text(bytes, 'x.csv');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as Error).message).toBe(
      'x.csv:3: invalid UTF-8 at byte 3 of the line (the file must be UTF-8 encoded)',
    );
    expect(() => decodeUtf8Text(Buffer.from([0xff]), 'y.csv')).toThrow('y.csv:1: invalid UTF-8 at byte 0 of the line');
  });
});

describe('printableText', () => {
  it('escapes controls, separators and lone surrogates and keeps the rest', () => {
    expect(printableText('a\u0000b\u001b[2J\r\n\u007f\u0085\u2028\tz')).toBe(
      'a\\x00b\\x1b[2J\\x0d\\x0a\\x7f\\x85\\u2028\tz',
    );
    expect(printableText('\ud800x\u{1F600}\udc00')).toBe('\\ud800x\u{1F600}\\udc00');
    expect(printableText('caf\u00e9')).toBe('caf\u00e9');
  });
});
