import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { classLabelField } from './class-label-field.js';
import { imageField } from './image-field.js';
import { loadPreferenceJsonl, readPreferenceJsonl } from './preference-jsonl-reader.js';
import { CONVERSATIONAL_PREFERENCE_SCHEMA } from './preference-record.js';

const directory = mkdtempSync(join(tmpdir(), 'dpo-ts-reader-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileCount = 0;

/** Writes `content` to a fresh file and returns its path. */
function fixture(content: string | Buffer): string {
  const path = join(directory, `f${fileCount++}.jsonl`);
  writeFileSync(path, content);
  return path;
}

const line = (record: unknown): string => JSON.stringify(record);
const PAIR = { prompt: 'p', chosen: 'c', rejected: 'r' };

async function expectDataFormatError(
  promise: Promise<unknown>,
  file: string,
  lineNumber: number,
  reason: string | RegExp,
) {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DataFormatError);
  const dataError = error as DataFormatError;
  expect(dataError.file).toBe(file);
  expect(dataError.line).toBe(lineNumber);
  if (typeof reason === 'string') expect(dataError.reason).toBe(reason);
  else expect(dataError.reason).toMatch(reason);
}

describe('readPreferenceJsonl', () => {
  it('reads TRL standard pairs and keeps extra fields', async () => {
    const path = fixture(`${line({ ...PAIR, margin: 0.5, score_chosen: 8, meta: { id: 'a' } })}\n${line(PAIR)}\n`);
    const pairs = await loadPreferenceJsonl(path);
    expect(pairs).toEqual([
      { prompt: 'p', chosen: 'c', rejected: 'r', extra: { margin: 0.5, score_chosen: 8, meta: { id: 'a' } } },
      { prompt: 'p', chosen: 'c', rejected: 'r', extra: {} },
    ]);
  });

  it('accepts empty completions but not an empty prompt with the default schema', async () => {
    expect(await loadPreferenceJsonl(fixture(line({ prompt: 'p', chosen: '', rejected: '' })))).toHaveLength(1);
    const path = fixture(`${line(PAIR)}\n${line({ ...PAIR, prompt: '' })}\n`);
    await expectDataFormatError(
      loadPreferenceJsonl(path),
      path,
      2,
      'field "prompt" must be a non-empty string: got ""',
    );
  });

  it('handles a UTF-8 BOM, CRLF endings, a missing final newline and trailing blank lines', async () => {
    const body = `\uFEFF${line(PAIR)}\r\n${line({ ...PAIR, prompt: 'é\u2028x' })}\r\n  \r\n\n`;
    const pairs = await loadPreferenceJsonl(fixture(body));
    expect(pairs.map((pair) => pair.prompt)).toEqual(['p', 'é\u2028x']);
    expect(await loadPreferenceJsonl(fixture(line(PAIR)))).toHaveLength(1);
  });

  it.each([
    ['bad JSON, with the parser message', `${line(PAIR)}\n{"prompt": "p",\n`, 2, /^invalid JSON: .+/],
    ['not an object', `${line(PAIR)}\n${line(PAIR)}\n[1,2]\n`, 3, 'record must be a JSON object: got [1,2]'],
    ['null', 'null\n', 1, 'record must be a JSON object: got null'],
    ['missing field', line({ prompt: 'p', chosen: 'c' }), 1, 'missing field "rejected" (expected a string)'],
    ['wrong type', line({ ...PAIR, chosen: 3 }), 1, 'field "chosen" must be a string: got 3'],
    ['null field', line({ ...PAIR, rejected: null }), 1, 'field "rejected" must be a string: got null'],
    ['a BOM that is not at the start', `${line(PAIR)}\n\uFEFF${line(PAIR)}\n`, 2, /^invalid JSON/],
    ['a blank line between records', `${line(PAIR)}\n\n   \n${line(PAIR)}\n`, 2, /^blank line between records/],
    ['a leading blank line', `\n${line(PAIR)}\n`, 1, /^blank line between records/],
  ])('rejects %s with file and line', async (_name, content, lineNumber, reason) => {
    const path = fixture(content);
    await expectDataFormatError(loadPreferenceJsonl(path), path, lineNumber, reason);
  });

  it('skips blank lines only when asked', async () => {
    const path = fixture(`\n${line(PAIR)}\n\n${line(PAIR)}\n`);
    expect(await loadPreferenceJsonl(path, undefined, { allowBlankLines: true })).toHaveLength(2);
  });

  it('reports the line of a nested failure in conversational data', async () => {
    const good = { prompt: [{ role: 'user', content: 'q' }], chosen: [{ role: 'assistant', content: 'a' }] };
    const path = fixture(
      `${line({ ...good, rejected: [{ role: 'assistant', content: 'b' }] })}\n${line({ ...good, rejected: [{ role: 'bot', content: 'b' }] })}\n`,
    );
    await expectDataFormatError(
      loadPreferenceJsonl(path, CONVERSATIONAL_PREFERENCE_SCHEMA),
      path,
      2,
      'field "rejected[0].role" must be one of "system", "user", "assistant", "tool": got "bot"',
    );
  });

  it('reads class labels and image references relative to the file', async () => {
    mkdirSync(join(directory, 'sub'), { recursive: true });
    const path = join(directory, 'sub', 'images.jsonl');
    writeFileSync(path, `${line({ prompt: 3, chosen: 'a.png', rejected: 'img/b.png' })}\n`);
    const [pair] = await loadPreferenceJsonl(path, {
      prompt: classLabelField({ numClasses: 10 }),
      response: imageField(),
    });
    expect(pair).toEqual({
      prompt: 3,
      chosen: { kind: 'file', path: join(directory, 'sub', 'a.png') },
      rejected: { kind: 'file', path: join(directory, 'sub', 'img', 'b.png') },
      extra: {},
    });
  });

  it('names the path for a missing file, a directory and an empty file', async () => {
    const missing = join(directory, 'nope.jsonl');
    await expectDataFormatError(loadPreferenceJsonl(missing), missing, 0, 'file not found');
    await expect(loadPreferenceJsonl(missing)).rejects.toThrow(`${missing}: file not found`);
    await expectDataFormatError(loadPreferenceJsonl(directory), directory, 0, /not a regular file/);
    const empty = fixture('');
    await expectDataFormatError(loadPreferenceJsonl(empty), empty, 0, /^file has no records/);
    const blank = fixture('\n  \r\n');
    await expectDataFormatError(loadPreferenceJsonl(blank), blank, 0, /^file has no records/);
  });

  it('stops at maxRecords without validating the rest', async () => {
    const path = fixture(`${line(PAIR)}\n${line(PAIR)}\nnot json\n`);
    expect(await loadPreferenceJsonl(path, undefined, { maxRecords: 2 })).toHaveLength(2);
    expect(() => readPreferenceJsonl(path, undefined, { maxRecords: 0 })).toThrow(InvalidArgumentError);
  });

  it('checks the schema when called', () => {
    expect(() => readPreferenceJsonl('x.jsonl', { prompt: {} } as never)).toThrow('schema.prompt must be a FieldCodec');
  });

  it('streams a large file and lets the caller stop early', async () => {
    const n = 50_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++)
      lines.push(line({ prompt: `prompt ${i}`, chosen: `good ${i}`, rejected: `bad ${i}`, i }));
    const path = fixture(`${lines.join('\n')}\n`);
    let count = 0;
    let last: unknown;
    for await (const pair of readPreferenceJsonl(path)) {
      count += 1;
      last = pair.extra.i;
    }
    expect(count).toBe(n);
    expect(last).toBe(n - 1);

    let seen = 0;
    for await (const _pair of readPreferenceJsonl(path)) if (++seen === 3) break;
    expect(seen).toBe(3);
  });
});
